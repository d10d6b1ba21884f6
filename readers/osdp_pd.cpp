#include "readers/osdp_pd.h"

#include <utility>

namespace gatehouse::readers::osdp {
namespace {

// OSDP's inter-character timeout: a partial packet older than this is noise.
constexpr std::int64_t kInterCharacterTimeoutUs = 20'000;

std::uint8_t next_sequence(std::uint8_t s) { return s >= 3 ? 1 : static_cast<std::uint8_t>(s + 1); }

}  // namespace

PeripheralDevice::PeripheralDevice(PdSettings settings, Send send)
    : settings_(std::move(settings)), send_(std::move(send)), rng_(settings_.random_seed) {}

void PeripheralDevice::receive(std::span<const std::uint8_t> bytes, MonoTime now) {
  if (!rx_.empty() && now.us - last_rx_.us > kInterCharacterTimeoutUs) rx_.clear();
  last_rx_ = now;
  rx_.insert(rx_.end(), bytes.begin(), bytes.end());
  for (;;) {
    ParseResult r = parse_packet(rx_);
    if (r.status == ParseStatus::kWait) return;
    const auto consumed = static_cast<std::ptrdiff_t>(r.consumed);
    if (r.status == ParseStatus::kSkip) {
      if (r.reason != SkipReason::kMarkBytes) ++counters_.parse_skips;
      rx_.erase(rx_.begin(), rx_.begin() + consumed);
      continue;
    }
    Bytes wire(rx_.begin(), rx_.begin() + consumed);
    rx_.erase(rx_.begin(), rx_.begin() + consumed);
    handle_packet(r.packet, wire, r.mac_input_bytes);
  }
}

void PeripheralDevice::present_card(const RawCard& card, std::uint8_t reader, std::uint8_t format) {
  Result<Message> m = encode_raw(CardRead{reader, format, card});
  if (m.ok()) events_.push_back(std::move(m.value()));
}

Status PeripheralDevice::keypad(std::string digits) {
  if (!settings_.keypad) return make_error(ErrorKind::kInvalidInput, "this reader has no keypad");
  Result<Message> m = encode_keypad(KeypadData{0, std::move(digits)});
  if (!m.ok()) return m.error();
  events_.push_back(std::move(m.value()));
  return {};
}

void PeripheralDevice::set_tamper(bool tamper) {
  if (tamper == status_.tamper) return;
  status_.tamper = tamper;
  queue_status();
}

void PeripheralDevice::set_power_failure(bool failure) {
  if (failure == status_.power_failure) return;
  status_.power_failure = failure;
  queue_status();
}

void PeripheralDevice::queue_status() { events_.push_back(encode_lstatr(status_)); }

void PeripheralDevice::handle_packet(const Packet& packet, std::span<const std::uint8_t> wire,
                                     std::size_t mac_input_bytes) {
  if (packet.is_reply) {
    ++counters_.not_commands;
    return;
  }
  if (packet.address != settings_.address && packet.address != kBroadcastAddress) {
    ++counters_.other_address;
    return;
  }
  // OSDP's retry rule: the same command again under the same SQN gets the
  // same reply bytes (re-building it would move the MAC chain and consume
  // another event).
  if (packet.sequence != 0 && last_sequence_ == packet.sequence && !last_reply_.empty() &&
      Bytes(wire.begin(), wire.end()) == last_command_) {
    ++counters_.repeats;
    send_bytes(last_reply_);
    return;
  }
  if (busy_replies_ > 0) {
    --busy_replies_;
    Packet busy;
    busy.address = settings_.address;
    busy.is_reply = true;
    busy.sequence = 0;  // BUSY carries SQN 0; the CP sends the same command again
    busy.use_crc = settings_.use_crc;
    busy.code = reply::kBusy;
    Result<Bytes> bytes = build_packet(busy);
    if (bytes.ok()) send_bytes(std::move(bytes.value()));
    return;
  }
  if (packet.sequence == 0) {
    // The CP restarts the conversation: any session ends, and an event whose
    // reply was never confirmed goes back to the front of the queue.
    session_.reset();
    if (unconfirmed_event_) events_.push_front(std::move(*unconfirmed_event_));
    unconfirmed_event_.reset();
  } else {
    const std::uint8_t expected = last_sequence_ ? next_sequence(*last_sequence_) : 0;
    if (packet.sequence != expected) {
      ++counters_.sequence_errors;
      reply(packet, encode_nak(NakCode::kSequenceNumber), std::nullopt, /*record=*/false);
      return;
    }
    unconfirmed_event_.reset();  // a new command: the previous reply arrived
  }
  last_sequence_ = packet.sequence;
  last_command_.assign(wire.begin(), wire.end());
  ++counters_.commands;

  Message command{packet.code, packet.data};
  if (packet.security) {
    const std::uint8_t type = packet.security->type;
    if (type == scs::k11 && packet.code == cmd::kChlng) {
      Message answer = handle_chlng(packet, command);
      if (answer.code == reply::kCcrypt) {
        const std::uint8_t which = handshake_ && handshake_->default_key ? 0 : 1;
        reply(packet, answer, SecurityBlock{scs::k12, {which}});
      } else {
        reply(packet, answer, std::nullopt);
      }
      return;
    }
    if (type == scs::k13 && packet.code == cmd::kScrypt) {
      Message answer = handle_scrypt(packet, command);
      if (answer.code == reply::kRmacI) {
        reply(packet, answer, SecurityBlock{scs::k14, {1}});
      } else {
        reply(packet, answer, std::nullopt);
      }
      return;
    }
    if ((type != scs::k15 && type != scs::k17) || !packet.mac) {
      reply(packet, encode_nak(NakCode::kScUnsupported), std::nullopt);
      return;
    }
    if (!session_ || !session_->verify(Direction::kCommand, wire.first(mac_input_bytes), *packet.mac).ok()) {
      ++counters_.mac_failures;
      session_.reset();
      reply(packet, encode_nak(NakCode::kScConditionsNotMet), std::nullopt);
      return;
    }
    if (type == scs::k17 && !packet.data.empty()) {
      Result<Bytes> plain = session_->decrypt(Direction::kCommand, packet.data);
      if (!plain.ok()) {
        ++counters_.mac_failures;
        session_.reset();
        reply(packet, encode_nak(NakCode::kScConditionsNotMet), std::nullopt);
        return;
      }
      command.data = std::move(plain.value());
    }
    reply(packet, dispatch(command, true), std::nullopt);
    return;
  }
  // A plain command: it ends any session (the CP would never send one inside).
  session_.reset();
  const bool exempt = packet.code == cmd::kId || packet.code == cmd::kCap;
  if (settings_.require_secure && settings_.scbk && !exempt) {
    ++counters_.plaintext_refused;
    reply(packet, encode_nak(NakCode::kScConditionsNotMet), std::nullopt);
    return;
  }
  reply(packet, dispatch(command, false), std::nullopt);
}

Message PeripheralDevice::dispatch(const Message& command, bool secure) {
  const auto length_nak = [] { return encode_nak(NakCode::kCommandLength); };
  switch (command.code) {
    case cmd::kPoll:
      if (!command.data.empty()) return length_nak();
      if (events_.empty()) return encode_ack();
      unconfirmed_event_ = events_.front();
      events_.pop_front();
      return *unconfirmed_event_;
    case cmd::kId:
      return encode_pdid(settings_.identity);
    case cmd::kCap:
      return encode_pdcap(settings_.capabilities);
    case cmd::kLstat:
      return encode_lstatr(status_);
    case cmd::kIstat: {
      const std::uint8_t none[] = {0};
      return encode_status_list(reply::kIstatr, none);
    }
    case cmd::kOstat: {
      const std::uint8_t none[] = {0};
      return encode_status_list(reply::kOstatr, none);
    }
    case cmd::kRstat: {
      const std::uint8_t ok[] = {0};
      return encode_status_list(reply::kRstatr, ok);
    }
    case cmd::kOut: {
      auto r = decode_output(command.data);
      if (!r.ok()) return length_nak();
      last_output_ = r->back();
      return encode_ack();
    }
    case cmd::kLed: {
      auto r = decode_led(command.data);
      if (!r.ok()) return length_nak();
      last_led_ = r->back();
      ++led_commands_;
      return encode_ack();
    }
    case cmd::kBuz: {
      auto r = decode_buzzer(command.data);
      if (!r.ok()) return length_nak();
      last_buzzer_ = *r;
      ++buzzer_commands_;
      return encode_ack();
    }
    case cmd::kText: {
      auto r = decode_text(command.data);
      if (!r.ok()) return length_nak();
      last_text_ = *r;
      return encode_ack();
    }
    case cmd::kComset: {
      auto r = decode_comset(command.data);
      if (!r.ok()) return length_nak();
      return encode_com(*r);  // echoed; this virtual reader does not change its address
    }
    case cmd::kKeyset: {
      if (!secure) return encode_nak(NakCode::kScConditionsNotMet);
      auto r = decode_keyset(command.data);
      if (!r.ok()) return length_nak();
      settings_.scbk = *r;  // in force from the next handshake
      settings_.install_mode = false;
      return encode_ack();
    }
    case cmd::kAcurxsize: {
      auto r = decode_acurxsize(command.data);
      if (!r.ok()) return length_nak();
      return encode_ack();
    }
    case cmd::kChlng:
    case cmd::kScrypt:
      return encode_nak(NakCode::kScConditionsNotMet);  // without their security block
    default:
      return encode_nak(NakCode::kUnknownCommand);
  }
}

Message PeripheralDevice::handle_chlng(const Packet& packet, const Message& command) {
  session_.reset();
  handshake_.reset();
  if (!settings_.scbk && !settings_.install_mode) return encode_nak(NakCode::kScUnsupported);
  const bool default_key = packet.security->data.empty() || packet.security->data[0] == 0;
  if (default_key ? !settings_.install_mode : !settings_.scbk) return encode_nak(NakCode::kScConditionsNotMet);
  Result<Random> rnd_a = decode_chlng(command.data);
  if (!rnd_a.ok()) return encode_nak(NakCode::kCommandLength);
  Handshake h;
  h.key = default_key ? kScbkDefault : *settings_.scbk;
  h.default_key = default_key;
  h.rnd_a = *rnd_a;
  for (auto& b : h.rnd_b) b = static_cast<std::uint8_t>(rng_());
  Result<SessionKeys> keys = derive_session_keys(h.key, h.rnd_a);
  if (!keys.ok()) return encode_nak(NakCode::kUnableToProcess);
  h.keys = *keys;
  Result<Block> cc = client_cryptogram(h.keys, h.rnd_a, h.rnd_b);
  if (!cc.ok()) return encode_nak(NakCode::kUnableToProcess);
  ClientChallenge challenge;
  const Identity& id = settings_.identity;
  challenge.client_uid = {id.vendor_oui[0], id.vendor_oui[1], id.vendor_oui[2], id.model,
                          static_cast<std::uint8_t>(id.serial), static_cast<std::uint8_t>(id.serial >> 8),
                          static_cast<std::uint8_t>(id.serial >> 16), static_cast<std::uint8_t>(id.serial >> 24)};
  challenge.rnd_b = h.rnd_b;
  challenge.cryptogram = *cc;
  handshake_ = std::move(h);
  return encode_ccrypt(challenge);
}

Message PeripheralDevice::handle_scrypt(const Packet&, const Message& command) {
  if (!handshake_) return encode_nak(NakCode::kScConditionsNotMet);
  Handshake h = std::move(*handshake_);
  handshake_.reset();
  Result<Block> got = decode_scrypt(command.data);
  if (!got.ok()) return encode_nak(NakCode::kCommandLength);
  Result<Block> expected = server_cryptogram(h.keys, h.rnd_a, h.rnd_b);
  if (!expected.ok() || !equal_constant_time(*expected, *got)) {
    ++counters_.mac_failures;
    return encode_nak(NakCode::kScConditionsNotMet);
  }
  Result<Block> rmac = initial_rmac(h.keys, *got);
  if (!rmac.ok()) return encode_nak(NakCode::kUnableToProcess);
  session_.emplace(h.keys, *rmac);
  return encode_rmac_i(*rmac);
}

void PeripheralDevice::reply(const Packet& command, const Message& message,
                             std::optional<SecurityBlock> handshake_block, bool record) {
  Packet p;
  p.address = command.address == kBroadcastAddress ? kBroadcastAddress : settings_.address;
  p.is_reply = true;
  p.sequence = command.sequence;
  p.use_crc = settings_.use_crc;
  p.code = message.code;
  p.data = message.data;
  Result<Bytes> bytes = Bytes{};
  const bool secure = !handshake_block && command.security && scb_type_has_mac(command.security->type) &&
                      session_ && !force_plaintext_;
  if (handshake_block) {
    p.security = std::move(handshake_block);
    bytes = build_packet(p);
  } else if (secure) {
    const bool encrypt = !p.data.empty();
    p.security = SecurityBlock{encrypt ? scs::k18 : scs::k16, {}};
    if (encrypt) {
      Result<Bytes> cipher = session_->encrypt(Direction::kReply, p.data);
      if (!cipher.ok()) return;
      p.data = std::move(cipher.value());
    }
    SecureSession& s = *session_;
    bytes = build_packet_with_mac(p, [&s](std::span<const std::uint8_t> in) { return s.sign(Direction::kReply, in); });
  } else {
    bytes = build_packet(p);
  }
  if (!bytes.ok()) return;
  if (record) last_reply_ = bytes.value();
  send_bytes(std::move(bytes.value()));
}

void PeripheralDevice::send_bytes(Bytes bytes) {
  if (drop_replies_ > 0) {
    --drop_replies_;
    ++counters_.dropped_by_hook;
    return;
  }
  if (corrupt_replies_ > 0 && bytes.size() > 6) {
    --corrupt_replies_;
    bytes[bytes.size() / 2] ^= 0x5A;
  }
  if (send_) send_(bytes);
}

}  // namespace gatehouse::readers::osdp
