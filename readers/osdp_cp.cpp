#include "readers/osdp_cp.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace gatehouse::readers::osdp {
namespace {

std::uint8_t advance_sequence(std::uint8_t s) { return s >= 3 ? 1 : static_cast<std::uint8_t>(s + 1); }
MonoTime after(MonoTime t, std::int64_t us) { return MonoTime{t.us + us}; }
Error not_found() { return make_error(ErrorKind::kNotFound, "no PD at this address on the line"); }

}  // namespace

std::string_view pd_state_name(PdState state) {
  switch (state) {
    case PdState::kOffline: return "offline";
    case PdState::kCapabilities: return "capabilities";
    case PdState::kScChallenge: return "sc_challenge";
    case PdState::kScCryptogram: return "sc_cryptogram";
    case PdState::kKeyset: return "keyset";
    case PdState::kOnline: return "online";
  }
  return "?";
}

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kNoise: return "noise";
    case DropReason::kBadCheck: return "bad_check";
    case DropReason::kBadHeader: return "bad_header";
    case DropReason::kBadSecurityBlock: return "bad_security_block";
    case DropReason::kPartial: return "partial";
    case DropReason::kNotAReply: return "not_a_reply";
    case DropReason::kWrongAddress: return "wrong_address";
    case DropReason::kUnsolicited: return "unsolicited";
    case DropReason::kBadSequence: return "bad_sequence";
    case DropReason::kMacFailure: return "mac_failure";
    case DropReason::kUnauthenticated: return "unauthenticated";
    case DropReason::kBadPayload: return "bad_payload";
    case DropReason::kUnexpectedReply: return "unexpected_reply";
    case DropReason::kCount: break;
  }
  return "?";
}

std::string_view security_alarm_name(SecurityAlarm alarm) {
  switch (alarm) {
    case SecurityAlarm::kDowngrade: return "downgrade";
    case SecurityAlarm::kHandshakeFailed: return "handshake_failed";
    case SecurityAlarm::kMacFailure: return "mac_failure";
  }
  return "?";
}

ControlPanel::ControlPanel(CpSettings settings, std::vector<PdConfig> pds, Send send, CpEvents events)
    : settings_(std::move(settings)), send_(std::move(send)), events_(std::move(events)) {
  for (PdConfig& config : pds) {
    Pd pd;
    pd.config = std::move(config);
    pds_.push_back(std::move(pd));
  }
  cursor_ = pds_.empty() ? 0 : pds_.size() - 1;  // the first PD goes first
}

ControlPanel::Pd* ControlPanel::find(std::uint8_t address) {
  for (Pd& pd : pds_) {
    if (pd.config.address == address) return &pd;
  }
  return nullptr;
}
const ControlPanel::Pd* ControlPanel::find(std::uint8_t address) const {
  return const_cast<ControlPanel*>(this)->find(address);
}

// ---- time and the line ----------------------------------------------------

MonoTime ControlPanel::next_deadline() const {
  if (outstanding_) return after(sent_at_, settings_.reply_timeout_us);
  MonoTime next{std::numeric_limits<std::int64_t>::max()};
  for (const Pd& pd : pds_) next = std::min(next, pd.due);
  return next;
}

void ControlPanel::tick(MonoTime now) {
  now_ = now;
  if (outstanding_ && now >= after(sent_at_, settings_.reply_timeout_us)) {
    on_missed_reply(pds_[*outstanding_], now);
  }
  pump(now);
}

void ControlPanel::pump(MonoTime now) {
  if (outstanding_ || pds_.empty()) return;
  for (std::size_t i = 1; i <= pds_.size(); ++i) {
    const std::size_t index = (cursor_ + i) % pds_.size();
    if (pds_[index].due <= now) {
      cursor_ = index;
      send_next(pds_[index], now);
      return;
    }
  }
}

void ControlPanel::send_next(Pd& pd, MonoTime now) {
  if (!pd.resend || !pd.in_flight) {
    Message m = command_for(pd);
    Packet p;
    p.address = pd.config.address;
    p.sequence = pd.next_sequence;
    p.use_crc = settings_.use_crc;
    p.code = m.code;
    p.data = m.data;
    const std::uint8_t key_kind = pd.using_default_key ? 0 : 1;
    Result<Bytes> bytes = Bytes{};
    if (pd.session) {
      const bool encrypt = !p.data.empty();
      p.security = SecurityBlock{encrypt ? scs::k17 : scs::k15, {}};
      if (encrypt) {
        Result<Bytes> cipher = pd.session->encrypt(Direction::kCommand, p.data);
        if (!cipher.ok()) bytes = cipher.error();
        else p.data = std::move(cipher.value());
      }
      SecureSession& s = *pd.session;
      if (bytes.ok()) {
        bytes = build_packet_with_mac(p, [&s](std::span<const std::uint8_t> in) {
          return s.sign(Direction::kCommand, in);
        });
      }
    } else {
      if (m.code == cmd::kChlng) p.security = SecurityBlock{scs::k11, {key_kind}};
      if (m.code == cmd::kScrypt) p.security = SecurityBlock{scs::k13, {key_kind}};
      bytes = build_packet(p);
    }
    if (!bytes.ok()) {  // cannot happen for our own commands; drop it rather than wedge the line
      pd.due = after(now, settings_.poll_interval_us);
      return;
    }
    pd.in_flight = std::move(m);
    pd.in_flight_bytes = std::move(bytes.value());
    pd.in_flight_sequence = pd.next_sequence;
    pd.next_sequence = advance_sequence(pd.next_sequence);
  }
  pd.resend = false;
  rx_.clear();
  outstanding_ = static_cast<std::size_t>(&pd - pds_.data());
  sent_at_ = now;
  if (send_) send_(pd.in_flight_bytes);
}

Message ControlPanel::command_for(Pd& pd) {
  switch (pd.status.state) {
    case PdState::kOffline: return encode_id();
    case PdState::kCapabilities: return encode_cap();
    case PdState::kScChallenge: return encode_chlng(pd.rnd_a);
    case PdState::kScCryptogram: return encode_scrypt(pd.server_cryptogram);
    case PdState::kKeyset: return encode_keyset(pd.config.install_key);
    case PdState::kOnline:
      if (!pd.queue.empty()) {
        Message m = std::move(pd.queue.front());
        pd.queue.pop_front();
        return m;
      }
      return encode_simple(cmd::kPoll);
  }
  return encode_simple(cmd::kPoll);
}

void ControlPanel::receive(std::span<const std::uint8_t> bytes, MonoTime now) {
  now_ = now;
  rx_.insert(rx_.end(), bytes.begin(), bytes.end());
  for (;;) {
    ParseResult r = parse_packet(rx_);
    if (r.status == ParseStatus::kWait) break;
    const auto consumed = static_cast<std::ptrdiff_t>(r.consumed);
    if (r.status == ParseStatus::kSkip) {
      switch (r.reason) {
        case SkipReason::kMarkBytes: case SkipReason::kNone: break;
        case SkipReason::kNoise: drop(DropReason::kNoise); break;
        case SkipReason::kBadCheck: drop(DropReason::kBadCheck); break;
        case SkipReason::kBadSecurityBlock: drop(DropReason::kBadSecurityBlock); break;
        default: drop(DropReason::kBadHeader); break;
      }
      rx_.erase(rx_.begin(), rx_.begin() + consumed);
      continue;
    }
    Bytes wire(rx_.begin(), rx_.begin() + consumed);
    rx_.erase(rx_.begin(), rx_.begin() + consumed);
    handle_packet(r.packet, wire, r.mac_input_bytes, now);
  }
  pump(now);
}

// ---- a reply arrives ------------------------------------------------------

void ControlPanel::handle_packet(const Packet& packet, std::span<const std::uint8_t> wire,
                                 std::size_t mac_input_bytes, MonoTime now) {
  if (!packet.is_reply) return drop(DropReason::kNotAReply);
  if (!outstanding_) return drop(DropReason::kUnsolicited);
  Pd& pd = pds_[*outstanding_];
  if (packet.address != pd.config.address) return drop(DropReason::kWrongAddress);
  const bool busy = packet.code == reply::kBusy && !packet.security && packet.data.empty();
  if (packet.sequence != pd.in_flight_sequence && !(busy && packet.sequence == 0)) {
    return drop(DropReason::kBadSequence);
  }

  Message reply{packet.code, packet.data};
  bool authenticated = false;
  if (packet.security && scb_type_has_mac(packet.security->type)) {
    const std::uint8_t type = packet.security->type;
    if (!pd.session || (type != scs::k16 && type != scs::k18)) return drop(DropReason::kMacFailure);
    if (!pd.session->verify(Direction::kReply, wire.first(mac_input_bytes), *packet.mac).ok()) {
      drop(DropReason::kMacFailure);
      return restart_session(pd, SecurityAlarm::kMacFailure, now);
    }
    if (type == scs::k18 && !packet.data.empty()) {
      Result<Bytes> plain = pd.session->decrypt(Direction::kReply, packet.data);
      if (!plain.ok()) {
        drop(DropReason::kMacFailure);
        return restart_session(pd, SecurityAlarm::kMacFailure, now);
      }
      reply.data = std::move(plain.value());
    }
    authenticated = true;
  } else if (packet.security) {
    const std::uint8_t type = packet.security->type;
    const bool expected = (pd.status.state == PdState::kScChallenge && type == scs::k12 &&
                           packet.code == reply::kCcrypt) ||
                          (pd.status.state == PdState::kScCryptogram && type == scs::k14 &&
                           packet.code == reply::kRmacI);
    if (!expected) return drop(DropReason::kUnexpectedReply);
  } else if (pd.session && !busy && packet.code != reply::kNak) {
    // Inside a session only BUSY and NAK may come in the clear; anything
    // else is a downgrade. Never used, never a fallback.
    drop(DropReason::kUnauthenticated);
    raise(pd, SecurityAlarm::kDowngrade);
    return go_offline(pd, now, settings_.offline_retry_us);
  }

  outstanding_.reset();
  pd.missed = 0;
  if (busy) {
    ++pd.status.busy;
    pd.resend = true;  // the same bytes, the same SQN
    pd.due = after(now, settings_.busy_retry_us);
    return;
  }
  if (packet.code == reply::kNak) {
    Result<Nak> nak = decode_nak(reply.data);
    if (!nak.ok()) {
      drop(DropReason::kBadPayload);
      pd.resend = true;
      pd.due = now;
      return;
    }
    return on_nak(pd, *nak, now);
  }
  on_reply(pd, reply, authenticated, now);
}

// The transitions on a good reply, by state.
void ControlPanel::on_reply(Pd& pd, const Message& reply, bool authenticated, MonoTime now) {
  const std::uint8_t address = pd.config.address;
  switch (pd.status.state) {
    case PdState::kOffline: {
      Result<Identity> id = reply.code == reply::kPdid ? decode_pdid(reply.data) : Result<Identity>(not_found());
      if (!id.ok()) break;
      pd.status.identity = *id;
      return go_state(pd, PdState::kCapabilities, now);
    }
    case PdState::kCapabilities: {
      if (reply.code != reply::kPdcap) break;
      Result<std::vector<Capability>> caps = decode_pdcap(reply.data);
      if (!caps.ok()) break;
      pd.status.capabilities = std::move(caps.value());
      if (pd.config.secure_channel) return start_handshake(pd, now);
      return go_state(pd, PdState::kOnline, now);
    }
    case PdState::kScChallenge: {
      if (reply.code != reply::kCcrypt) {  // a plain answer to CHLNG
        drop(DropReason::kUnauthenticated);
        raise(pd, SecurityAlarm::kDowngrade);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      Result<ClientChallenge> cc = decode_ccrypt(reply.data);
      if (!cc.ok()) break;
      Result<Block> expected = client_cryptogram(*pd.keys, pd.rnd_a, cc->rnd_b);
      Result<Block> server = server_cryptogram(*pd.keys, pd.rnd_a, cc->rnd_b);
      if (!expected.ok() || !server.ok() || !equal_constant_time(*expected, cc->cryptogram)) {
        raise(pd, SecurityAlarm::kHandshakeFailed);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      pd.rnd_b = cc->rnd_b;
      pd.server_cryptogram = *server;
      return go_state(pd, PdState::kScCryptogram, now);
    }
    case PdState::kScCryptogram: {
      if (reply.code != reply::kRmacI) {
        drop(DropReason::kUnauthenticated);
        raise(pd, SecurityAlarm::kDowngrade);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      Result<Block> got = decode_scrypt(reply.data);
      Result<Block> expected = initial_rmac(*pd.keys, pd.server_cryptogram);
      if (!got.ok() || !expected.ok() || !equal_constant_time(*got, *expected)) {
        raise(pd, SecurityAlarm::kHandshakeFailed);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      pd.session.emplace(*pd.keys, *expected);
      pd.status.secure = true;
      if (events_.secure_channel) events_.secure_channel(address, true);
      return go_state(pd, pd.using_default_key ? PdState::kKeyset : PdState::kOnline, now);
    }
    case PdState::kKeyset: {
      if (reply.code != reply::kAck || !authenticated) break;
      pd.config.scbk = pd.config.install_key;
      pd.config.install_mode = false;
      if (events_.key_set) events_.key_set(address, pd.config.install_key);
      pd.config.install_key.fill(0);
      return start_handshake(pd, now);  // prove the new key with a fresh session
    }
    case PdState::kOnline: {
      if (pd.config.secure_channel && !authenticated) {  // belt and braces: caught above
        drop(DropReason::kUnauthenticated);
        raise(pd, SecurityAlarm::kDowngrade);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      if (reply.code == reply::kRaw) {
        Result<CardRead> read = decode_raw(reply.data);
        if (!read.ok()) break;
        if (events_.card) events_.card(address, read->card, now);
      } else if (reply.code == reply::kKeypad) {
        Result<KeypadData> keys = decode_keypad(reply.data);
        if (!keys.ok()) break;
        if (events_.keypad) events_.keypad(address, keys->digits, now);
      } else if (reply.code == reply::kLstatr) {
        Result<LocalStatus> local = decode_lstatr(reply.data);
        if (!local.ok()) break;
        pd.status.local = *local;
        if (events_.local_status) events_.local_status(address, *local);
      } else if (reply.code == reply::kPdid) {
        if (auto id = decode_pdid(reply.data); id.ok()) pd.status.identity = *id;
      } else if (reply.code == reply::kPdcap) {
        if (auto caps = decode_pdcap(reply.data); caps.ok()) pd.status.capabilities = *caps;
      } else if (reply.code != reply::kAck && reply.code != reply::kIstatr && reply.code != reply::kOstatr &&
                 reply.code != reply::kRstatr && reply.code != reply::kCom && reply.code != kReplyFmt) {
        drop(DropReason::kUnexpectedReply);
      }
      return finish_command(pd, now);
    }
  }
  // The reply does not fit the state: count it and ask again later.
  drop(DropReason::kBadPayload);
  pd.resend = true;
  pd.due = after(now, settings_.poll_interval_us);
}

void ControlPanel::finish_command(Pd& pd, MonoTime now) {
  pd.in_flight.reset();
  pd.due = pd.queue.empty() ? after(now, settings_.poll_interval_us) : now;
}

void ControlPanel::on_nak(Pd& pd, const Nak& nak, MonoTime now) {
  ++pd.status.naks;
  const std::uint8_t command = pd.in_flight ? pd.in_flight->code : 0;
  if (events_.nak) events_.nak(pd.config.address, command, nak);
  const bool handshaking = pd.status.state == PdState::kScChallenge || pd.status.state == PdState::kScCryptogram;
  switch (nak.code) {
    case NakCode::kSequenceNumber:
      // The PD lost track: restart the conversation at SQN 0.
      if (pd.session || handshaking) return start_handshake(pd, now);
      if (pd.in_flight && pd.in_flight->code != cmd::kPoll && pd.status.state == PdState::kOnline) {
        pd.queue.push_front(*pd.in_flight);
      }
      pd.in_flight.reset();
      pd.next_sequence = 0;
      pd.due = now;
      return;
    case NakCode::kCheckCharacter:
      pd.resend = true;  // our bytes were damaged on the way: same bytes again
      pd.due = now;
      return;
    case NakCode::kScUnsupported:
      if (pd.config.secure_channel) {
        raise(pd, SecurityAlarm::kDowngrade);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      break;
    case NakCode::kScConditionsNotMet:
      if (handshaking || pd.status.state == PdState::kKeyset) {
        raise(pd, SecurityAlarm::kHandshakeFailed);
        return go_offline(pd, now, settings_.offline_retry_us);
      }
      if (pd.session) return restart_session(pd, SecurityAlarm::kMacFailure, now);
      break;
    default:
      break;
  }
  // The command is refused for good: discovery goes on without it, an
  // online PD goes on polling.
  if (pd.status.state == PdState::kOffline) return go_state(pd, PdState::kCapabilities, now);
  if (pd.status.state == PdState::kCapabilities) {
    if (pd.config.secure_channel) return start_handshake(pd, now);
    return go_state(pd, PdState::kOnline, now);
  }
  finish_command(pd, now);
}

void ControlPanel::on_missed_reply(Pd& pd, MonoTime now) {
  if (!rx_.empty()) drop(DropReason::kPartial);
  rx_.clear();
  outstanding_.reset();
  ++pd.missed;
  ++pd.status.missed_replies;
  // An offline PD is asked once per offline_retry_us, so that an absent
  // reader does not eat the line; others get max_missed_replies tries.
  if (pd.status.state == PdState::kOffline || pd.missed >= settings_.max_missed_replies) {
    return go_offline(pd, now, settings_.offline_retry_us);
  }
  pd.resend = true;
  pd.due = now;
}

// ---- state changes --------------------------------------------------------

void ControlPanel::go_state(Pd& pd, PdState next, MonoTime now) {
  pd.status.state = next;
  pd.in_flight.reset();
  pd.resend = false;
  pd.due = now;
  if (next == PdState::kOnline && !pd.status.online) {
    pd.status.online = true;
    if (events_.online) events_.online(pd.config.address, true);
  }
}

void ControlPanel::go_offline(Pd& pd, MonoTime now, std::int64_t wait_us) {
  const bool was_online = pd.status.online;
  if (outstanding_ && &pds_[*outstanding_] == &pd) outstanding_.reset();
  pd.session.reset();
  pd.keys.reset();
  if (pd.status.secure && events_.secure_channel) events_.secure_channel(pd.config.address, false);
  pd.status.secure = false;
  pd.status.state = PdState::kOffline;
  pd.status.online = false;
  pd.next_sequence = 0;
  pd.missed = 0;
  pd.resend = false;
  pd.in_flight.reset();
  pd.queue.clear();
  pd.due = after(now, wait_us);
  if (was_online && events_.online) events_.online(pd.config.address, false);
}

void ControlPanel::start_handshake(Pd& pd, MonoTime now) {
  pd.session.reset();
  if (pd.status.secure && events_.secure_channel) events_.secure_channel(pd.config.address, false);
  pd.status.secure = false;
  pd.using_default_key = pd.config.install_mode;
  const Key* key = pd.using_default_key ? &kScbkDefault : (pd.config.scbk ? &*pd.config.scbk : nullptr);
  Result<SessionKeys> keys = make_error(ErrorKind::kInvalidInput, "no key for the Secure Channel");
  if (key && settings_.random_bytes) {
    settings_.random_bytes(pd.rnd_a);
    keys = derive_session_keys(*key, pd.rnd_a);
  }
  if (!keys.ok()) {
    raise(pd, SecurityAlarm::kHandshakeFailed);
    return go_offline(pd, now, settings_.offline_retry_us);
  }
  pd.keys = std::move(keys.value());
  pd.next_sequence = 0;  // CHLNG goes with SQN 0: the PD restarts its side too
  pd.missed = 0;
  go_state(pd, PdState::kScChallenge, now);
}

void ControlPanel::restart_session(Pd& pd, SecurityAlarm alarm, MonoTime now) {
  raise(pd, alarm);
  if (outstanding_ && &pds_[*outstanding_] == &pd) outstanding_.reset();
  start_handshake(pd, now);
}

void ControlPanel::drop(DropReason reason) {
  ++drops_[static_cast<std::size_t>(reason)];
  if (events_.dropped) events_.dropped(reason);
}

void ControlPanel::raise(Pd& pd, SecurityAlarm alarm) {
  if (events_.alarm) events_.alarm(pd.config.address, alarm);
}

// ---- commands in ----------------------------------------------------------

Status ControlPanel::send_command(std::uint8_t address, Message command) {
  Pd* pd = find(address);
  if (!pd) return not_found();
  if (pd->status.state != PdState::kOnline) {
    return make_error(ErrorKind::kUnavailable, "the PD is not online");
  }
  pd->queue.push_back(std::move(command));
  pd->due = std::min(pd->due, now_);
  return {};
}

Status ControlPanel::led(std::uint8_t address, const LedCommand& led) {
  return send_command(address, encode_led(std::span<const LedCommand>(&led, 1)));
}

Status ControlPanel::buzzer(std::uint8_t address, const BuzzerCommand& buzzer) {
  return send_command(address, encode_buzzer(buzzer));
}

Status ControlPanel::text(std::uint8_t address, const TextCommand& text) {
  Result<Message> m = encode_text(text);
  if (!m.ok()) return m.error();
  return send_command(address, std::move(m.value()));
}

Status ControlPanel::output(std::uint8_t address, const OutputControl& output) {
  return send_command(address, encode_output(std::span<const OutputControl>(&output, 1)));
}

Status ControlPanel::feedback(std::uint8_t address, bool granted) {
  LedCommand led;
  led.temp_control = 2;  // temporary, then back to the permanent state
  led.temp_on_100ms = 20;
  led.temp_off_100ms = 0;
  led.temp_on_color = granted ? kColorGreen : kColorRed;
  led.temp_off_color = led.temp_on_color;
  led.temp_timer_100ms = 20;
  if (Status s = this->led(address, led); !s.ok()) return s;
  BuzzerCommand buzz;
  buzz.tone = 2;
  buzz.on_100ms = 1;
  buzz.off_100ms = 1;
  buzz.count = granted ? 1 : 2;
  return buzzer(address, buzz);
}

Status ControlPanel::set_install_mode(std::uint8_t address, bool on, const Key& fresh_key) {
  Pd* pd = find(address);
  if (!pd) return not_found();
  pd->config.install_mode = on;
  pd->config.install_key = on ? fresh_key : Key{};
  return {};
}

Result<PdStatus> ControlPanel::status(std::uint8_t address) const {
  const Pd* pd = find(address);
  if (!pd) return not_found();
  return pd->status;
}

}  // namespace gatehouse::readers::osdp
