#include "readers/osdp_messages.h"

#include <algorithm>

namespace gatehouse::readers::osdp {
namespace {

Error bad(std::string_view what, std::size_t got) {
  std::string message = "osdp payload: ";
  message += what;
  message += " (";
  message += std::to_string(got);
  message += " bytes)";
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint16_t get16(std::span<const std::uint8_t> d, std::size_t at) {
  return static_cast<std::uint16_t>(d[at] | (d[at + 1] << 8));
}
std::uint32_t get32(std::span<const std::uint8_t> d, std::size_t at) {
  return std::uint32_t{d[at]} | (std::uint32_t{d[at + 1]} << 8) | (std::uint32_t{d[at + 2]} << 16) |
         (std::uint32_t{d[at + 3]} << 24);
}
template <std::size_t N>
std::array<std::uint8_t, N> get_array(std::span<const std::uint8_t> d, std::size_t at) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(d.begin() + static_cast<std::ptrdiff_t>(at), N, out.begin());
  return out;
}
Message with(std::uint8_t code, Bytes data) { return Message{code, std::move(data)}; }

}  // namespace

Message encode_simple(std::uint8_t command_code) { return with(command_code, {}); }
Message encode_id() { return with(cmd::kId, {0}); }
Message encode_cap() { return with(cmd::kCap, {0}); }

Message encode_output(std::span<const OutputControl> outputs) {
  Bytes d;
  for (const OutputControl& o : outputs) {
    d.push_back(o.output);
    d.push_back(o.control_code);
    put16(d, o.timer_100ms);
  }
  return with(cmd::kOut, std::move(d));
}

Message encode_led(std::span<const LedCommand> leds) {
  Bytes d;
  for (const LedCommand& l : leds) {
    d.insert(d.end(), {l.reader, l.led, l.temp_control, l.temp_on_100ms, l.temp_off_100ms,
                       l.temp_on_color, l.temp_off_color});
    put16(d, l.temp_timer_100ms);
    d.insert(d.end(), {l.perm_control, l.perm_on_100ms, l.perm_off_100ms, l.perm_on_color,
                       l.perm_off_color});
  }
  return with(cmd::kLed, std::move(d));
}

Message encode_buzzer(const BuzzerCommand& b) {
  return with(cmd::kBuz, {b.reader, b.tone, b.on_100ms, b.off_100ms, b.count});
}

Result<Message> encode_text(const TextCommand& t) {
  if (t.text.size() > 255) return bad("TEXT longer than 255", t.text.size());
  Bytes d{t.reader, t.command, t.temp_time_s, t.row, t.column, static_cast<std::uint8_t>(t.text.size())};
  d.insert(d.end(), t.text.begin(), t.text.end());
  return with(cmd::kText, std::move(d));
}

Message encode_comset(const ComSettings& s) {
  Bytes d{s.address};
  put32(d, s.baud);
  return with(cmd::kComset, std::move(d));
}

Message encode_keyset(const Key& scbk) {
  Bytes d{1, static_cast<std::uint8_t>(scbk.size())};
  d.insert(d.end(), scbk.begin(), scbk.end());
  return with(cmd::kKeyset, std::move(d));
}

Message encode_chlng(const Random& rnd_a) { return with(cmd::kChlng, Bytes(rnd_a.begin(), rnd_a.end())); }
Message encode_scrypt(const Block& c) { return with(cmd::kScrypt, Bytes(c.begin(), c.end())); }
Message encode_acurxsize(std::uint16_t max_bytes) {
  Bytes d;
  put16(d, max_bytes);
  return with(cmd::kAcurxsize, std::move(d));
}

Result<std::vector<OutputControl>> decode_output(std::span<const std::uint8_t> d) {
  if (d.empty() || d.size() % 4 != 0) return bad("OUT is not a multiple of 4", d.size());
  std::vector<OutputControl> out;
  for (std::size_t i = 0; i < d.size(); i += 4) out.push_back({d[i], d[i + 1], get16(d, i + 2)});
  return out;
}

Result<std::vector<LedCommand>> decode_led(std::span<const std::uint8_t> d) {
  if (d.empty() || d.size() % 14 != 0) return bad("LED is not a multiple of 14", d.size());
  std::vector<LedCommand> out;
  for (std::size_t i = 0; i < d.size(); i += 14) {
    LedCommand l;
    l.reader = d[i];
    l.led = d[i + 1];
    l.temp_control = d[i + 2];
    l.temp_on_100ms = d[i + 3];
    l.temp_off_100ms = d[i + 4];
    l.temp_on_color = d[i + 5];
    l.temp_off_color = d[i + 6];
    l.temp_timer_100ms = get16(d, i + 7);
    l.perm_control = d[i + 9];
    l.perm_on_100ms = d[i + 10];
    l.perm_off_100ms = d[i + 11];
    l.perm_on_color = d[i + 12];
    l.perm_off_color = d[i + 13];
    out.push_back(l);
  }
  return out;
}

Result<BuzzerCommand> decode_buzzer(std::span<const std::uint8_t> d) {
  if (d.size() != 5) return bad("BUZ is not 5", d.size());
  return BuzzerCommand{d[0], d[1], d[2], d[3], d[4]};
}

Result<TextCommand> decode_text(std::span<const std::uint8_t> d) {
  if (d.size() < 6) return bad("TEXT shorter than 6", d.size());
  if (d.size() != 6u + d[5]) return bad("TEXT length byte disagrees with", d.size());
  return TextCommand{d[0], d[1], d[2], d[3], d[4], std::string(d.begin() + 6, d.end())};
}

Result<ComSettings> decode_comset(std::span<const std::uint8_t> d) {
  if (d.size() != 5) return bad("COMSET/COM is not 5", d.size());
  return ComSettings{d[0], get32(d, 1)};
}

Result<Key> decode_keyset(std::span<const std::uint8_t> d) {
  if (d.size() != 18) return bad("KEYSET is not 18", d.size());
  if (d[0] != 1 || d[1] != 16) return bad("KEYSET is not an SCBK of 16 bytes", d.size());
  return get_array<16>(d, 2);
}

Result<Random> decode_chlng(std::span<const std::uint8_t> d) {
  if (d.size() != 8) return bad("CHLNG is not 8", d.size());
  return get_array<8>(d, 0);
}

Result<Block> decode_scrypt(std::span<const std::uint8_t> d) {
  if (d.size() != 16) return bad("SCRYPT/RMAC_I is not 16", d.size());
  return get_array<16>(d, 0);
}

Result<std::uint16_t> decode_acurxsize(std::span<const std::uint8_t> d) {
  if (d.size() != 2) return bad("ACURXSIZE is not 2", d.size());
  return get16(d, 0);
}

Message encode_ack() { return with(reply::kAck, {}); }
Message encode_busy() { return with(reply::kBusy, {}); }
Message encode_nak(NakCode code, std::span<const std::uint8_t> detail) {
  Bytes d{static_cast<std::uint8_t>(code)};
  d.insert(d.end(), detail.begin(), detail.end());
  return with(reply::kNak, std::move(d));
}

Message encode_pdid(const Identity& id) {
  Bytes d(id.vendor_oui.begin(), id.vendor_oui.end());
  d.push_back(id.model);
  d.push_back(id.version);
  put32(d, id.serial);
  d.insert(d.end(), id.firmware.begin(), id.firmware.end());
  return with(reply::kPdid, std::move(d));
}

Message encode_pdcap(std::span<const Capability> caps) {
  Bytes d;
  for (const Capability& c : caps) d.insert(d.end(), {c.function, c.compliance, c.count});
  return with(reply::kPdcap, std::move(d));
}

Message encode_lstatr(const LocalStatus& s) {
  return with(reply::kLstatr, {static_cast<std::uint8_t>(s.tamper), static_cast<std::uint8_t>(s.power_failure)});
}

Message encode_status_list(std::uint8_t reply_code, std::span<const std::uint8_t> states) {
  return with(reply_code, Bytes(states.begin(), states.end()));
}

Result<Message> encode_raw(const CardRead& r) {
  const RawCard& c = r.card;
  if (c.bit_count < 1 || c.bit_count > 0xFFFF || c.bits.size() != static_cast<std::size_t>((c.bit_count + 7) / 8)) {
    return bad("RAW card bits do not match the bit count", c.bits.size());
  }
  Bytes d{r.reader, r.format};
  put16(d, static_cast<std::uint16_t>(c.bit_count));
  d.insert(d.end(), c.bits.begin(), c.bits.end());
  return with(reply::kRaw, std::move(d));
}

Result<Message> encode_fmt(const FormattedCard& f) {
  if (f.characters.size() > 255) return bad("FMT longer than 255", f.characters.size());
  Bytes d{f.reader, f.direction, static_cast<std::uint8_t>(f.characters.size())};
  d.insert(d.end(), f.characters.begin(), f.characters.end());
  return with(kReplyFmt, std::move(d));
}

Result<Message> encode_keypad(const KeypadData& k) {
  if (k.digits.size() > 255) return bad("KEYPAD longer than 255", k.digits.size());
  Bytes d{k.reader, static_cast<std::uint8_t>(k.digits.size())};
  d.insert(d.end(), k.digits.begin(), k.digits.end());
  return with(reply::kKeypad, std::move(d));
}

Message encode_com(const ComSettings& s) {
  Message m = encode_comset(s);
  m.code = reply::kCom;
  return m;
}

Message encode_ccrypt(const ClientChallenge& c) {
  Bytes d(c.client_uid.begin(), c.client_uid.end());
  d.insert(d.end(), c.rnd_b.begin(), c.rnd_b.end());
  d.insert(d.end(), c.cryptogram.begin(), c.cryptogram.end());
  return with(reply::kCcrypt, std::move(d));
}

Message encode_rmac_i(const Block& rmac_i) { return with(reply::kRmacI, Bytes(rmac_i.begin(), rmac_i.end())); }

Result<Nak> decode_nak(std::span<const std::uint8_t> d) {
  if (d.empty()) return bad("NAK without a code", d.size());
  return Nak{static_cast<NakCode>(d[0]), Bytes(d.begin() + 1, d.end())};
}

Result<Identity> decode_pdid(std::span<const std::uint8_t> d) {
  if (d.size() != 12) return bad("PDID is not 12", d.size());
  Identity id;
  id.vendor_oui = get_array<3>(d, 0);
  id.model = d[3];
  id.version = d[4];
  id.serial = get32(d, 5);
  id.firmware = get_array<3>(d, 9);
  return id;
}

Result<std::vector<Capability>> decode_pdcap(std::span<const std::uint8_t> d) {
  if (d.size() % 3 != 0) return bad("PDCAP is not a multiple of 3", d.size());
  std::vector<Capability> out;
  for (std::size_t i = 0; i < d.size(); i += 3) out.push_back({d[i], d[i + 1], d[i + 2]});
  return out;
}

Result<LocalStatus> decode_lstatr(std::span<const std::uint8_t> d) {
  if (d.size() != 2) return bad("LSTATR is not 2", d.size());
  return LocalStatus{d[0] != 0, d[1] != 0};
}

Result<std::vector<std::uint8_t>> decode_status_list(std::span<const std::uint8_t> d) {
  return std::vector<std::uint8_t>(d.begin(), d.end());
}

Result<CardRead> decode_raw(std::span<const std::uint8_t> d) {
  if (d.size() < 4) return bad("RAW shorter than 4", d.size());
  const int bit_count = get16(d, 2);
  if (bit_count == 0 || d.size() != 4u + static_cast<std::size_t>((bit_count + 7) / 8)) {
    return bad("RAW bit count disagrees with", d.size());
  }
  Result<RawCard> card = make_raw_card(bit_count, d.subspan(4));
  if (!card.ok()) return card.error();
  return CardRead{d[0], d[1], std::move(card.value())};
}

Result<FormattedCard> decode_fmt(std::span<const std::uint8_t> d) {
  if (d.size() < 3 || d.size() != 3u + d[2]) return bad("FMT length disagrees with", d.size());
  return FormattedCard{d[0], d[1], std::string(d.begin() + 3, d.end())};
}

Result<KeypadData> decode_keypad(std::span<const std::uint8_t> d) {
  if (d.size() < 2 || d.size() != 2u + d[1]) return bad("KEYPAD count disagrees with", d.size());
  return KeypadData{d[0], std::string(d.begin() + 2, d.end())};
}

Result<ClientChallenge> decode_ccrypt(std::span<const std::uint8_t> d) {
  if (d.size() != 32) return bad("CCRYPT is not 32", d.size());
  return ClientChallenge{get_array<8>(d, 0), get_array<8>(d, 8), get_array<16>(d, 16)};
}

Status decode_empty(std::span<const std::uint8_t> d) {
  if (!d.empty()) return bad("reply should carry no data", d.size());
  return {};
}

}  // namespace gatehouse::readers::osdp
