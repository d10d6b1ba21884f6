// The OSDP control panel: one multi-drop line, several PDs polled round robin,
// one command outstanding on the line at a time. Each PD has an explicit state
// machine (PdState, pd_state_name(); transitions in osdp_cp.cpp's on_reply /
// on_missed_reply / go_*), its own sequence numbers (0 on (re)start, then
// 1,2,3,1,...), retries of the same bytes under the same SQN, BUSY handling,
// NAK handling by code, and the Secure Channel (CHLNG -> CCRYPT -> SCRYPT ->
// RMAC_I, then SCS_15..18; install mode with SCBK-D and KEYSET).
//
// Follows osdp_link.h: receive(bytes, now), tick(now) at next_deadline(),
// bytes out through Send; no sockets, threads, sleeps or clock reads. One
// thread at a time (the line's strand); Send and the event callbacks must not
// call back into the ControlPanel. Keys are never logged; the new key a KEYSET
// installs is handed to on_key_set once, for the owner to store encrypted.
// docs/osdp.md describes the state machine and the timing.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "readers/osdp_frame.h"
#include "readers/osdp_link.h"
#include "readers/osdp_messages.h"
#include "readers/osdp_sc.h"
#include "readers/wiegand.h"

namespace gatehouse::readers::osdp {

enum class PdState {
  kOffline,        // not answering (or never asked): ID is sent when due
  kCapabilities,   // PDID received; CAP sent
  kScChallenge,    // CHLNG sent, CCRYPT awaited
  kScCryptogram,   // SCRYPT sent, RMAC_I awaited
  kKeyset,         // install mode: KEYSET sent under the SCBK-D session
  kOnline,         // polling; queued commands go first
};
std::string_view pd_state_name(PdState state);

// Why a received packet was not used. Every dropped packet counts in one.
enum class DropReason {
  kNoise,              // parser: bytes before a SOM
  kBadCheck,           // parser: CRC/checksum
  kBadHeader,          // parser: length, reserved bits, too long
  kBadSecurityBlock,   // parser: SCB does not fit
  kPartial,            // bytes still buffered when the reply timed out
  kNotAReply,          // a command seen on the line (echo, another CP)
  kWrongAddress,       // from a PD that is not the one asked
  kUnsolicited,        // no command outstanding
  kBadSequence,        // SQN differs from the command's
  kMacFailure,         // MAC did not verify, or decryption failed
  kUnauthenticated,    // plain reply from a PD configured secure, outside the handshake
  kBadPayload,         // the reply's data does not decode
  kUnexpectedReply,    // a reply code the command cannot get
  kCount
};
std::string_view drop_reason_name(DropReason reason);

enum class SecurityAlarm {
  kDowngrade,           // a PD configured secure answered without the Secure Channel
  kHandshakeFailed,     // wrong key (cryptogram or RMAC_I mismatch), or CHLNG refused for the key
  kMacFailure,          // a reply's MAC failed inside a session; the session restarts
};
std::string_view security_alarm_name(SecurityAlarm alarm);

struct PdConfig {
  std::uint8_t address = 0;
  bool secure_channel = false;  // require the Secure Channel; never falls back to plaintext
  std::optional<Key> scbk;      // the PD's key; absent with install_mode: SCBK-D handshake then KEYSET
  bool install_mode = false;
  Key install_key{};            // the fresh random key KEYSET installs (caller's RNG)
};

struct CpSettings {
  std::int64_t poll_interval_us = 50'000;        // per PD, between POLLs when idle
  std::int64_t reply_timeout_us = kReplyTimeoutUs;
  int max_missed_replies = 3;                    // consecutive; then offline
  std::int64_t offline_retry_us = 1'000'000;     // wait before asking an offline PD again
  std::int64_t busy_retry_us = 50'000;           // wait before re-sending after BUSY
  bool use_crc = true;
  // Fills RND.A for each handshake (the owner's CSPRNG, e.g. libsodium's
  // randombytes_buf). Without it no Secure Channel handshake starts.
  std::function<void(std::span<std::uint8_t>)> random_bytes;
};

struct PdStatus {
  PdState state = PdState::kOffline;
  bool online = false;
  bool secure = false;  // a session is established
  std::optional<Identity> identity;
  std::vector<Capability> capabilities;
  LocalStatus local;
  std::uint64_t missed_replies = 0;  // total
  std::uint64_t naks = 0;
  std::uint64_t busy = 0;
};

struct CpEvents {
  std::function<void(std::uint8_t address, const RawCard& card, MonoTime received)> card;
  std::function<void(std::uint8_t address, const std::string& digits, MonoTime received)> keypad;
  std::function<void(std::uint8_t address, const LocalStatus& status)> local_status;
  std::function<void(std::uint8_t address, bool online)> online;
  std::function<void(std::uint8_t address, bool secure)> secure_channel;
  std::function<void(std::uint8_t address, SecurityAlarm alarm)> alarm;
  std::function<void(std::uint8_t address, std::uint8_t command, const Nak& nak)> nak;
  // KEYSET accepted: the owner stores `key` (encrypted) as this PD's SCBK.
  std::function<void(std::uint8_t address, const Key& key)> key_set;
  std::function<void(DropReason reason)> dropped;
};

class ControlPanel {
 public:
  ControlPanel(CpSettings settings, std::vector<PdConfig> pds, Send send, CpEvents events);

  void receive(std::span<const std::uint8_t> bytes, MonoTime now);
  void tick(MonoTime now);
  // When tick() must next run: a reply timeout or the next PD due. After a
  // command call (led, ...) it may be in the past: tick at once.
  MonoTime next_deadline() const;

  // Commands, queued per PD and sent when it is online. kNotFound for an
  // unknown address, kUnavailable when the PD is not online.
  Status led(std::uint8_t address, const LedCommand& led);
  Status buzzer(std::uint8_t address, const BuzzerCommand& buzzer);
  Status text(std::uint8_t address, const TextCommand& text);
  Status output(std::uint8_t address, const OutputControl& output);
  Status send_command(std::uint8_t address, Message command);
  // Granted: green LED for 2 s and one short beep; denied: red LED for 2 s
  // and two short beeps.
  Status feedback(std::uint8_t address, bool granted);
  // Turns install mode on (with the fresh key KEYSET will install) or off.
  Status set_install_mode(std::uint8_t address, bool on, const Key& fresh_key);

  Result<PdStatus> status(std::uint8_t address) const;
  std::uint64_t dropped(DropReason reason) const { return drops_[static_cast<std::size_t>(reason)]; }

 private:
  struct Pd {
    PdConfig config;
    PdStatus status;
    std::uint8_t next_sequence = 0;
    MonoTime due{};
    int missed = 0;               // consecutive
    std::deque<Message> queue;    // commands for when online
    // The command on the line (or to be re-sent): its code and exact bytes.
    std::optional<Message> in_flight;
    Bytes in_flight_bytes;
    std::uint8_t in_flight_sequence = 0;
    bool resend = false;
    // Secure Channel.
    bool using_default_key = false;
    Random rnd_a{};
    std::optional<SessionKeys> keys;
    Random rnd_b{};
    Block server_cryptogram{};
    std::optional<SecureSession> session;
  };

  Pd* find(std::uint8_t address);
  const Pd* find(std::uint8_t address) const;
  void pump(MonoTime now);
  void send_next(Pd& pd, MonoTime now);
  Message command_for(Pd& pd);
  void handle_packet(const Packet& packet, std::span<const std::uint8_t> wire, std::size_t mac_input_bytes,
                     MonoTime now);
  void on_reply(Pd& pd, const Message& reply, bool authenticated, MonoTime now);
  void on_missed_reply(Pd& pd, MonoTime now);
  void on_nak(Pd& pd, const Nak& nak, MonoTime now);
  void finish_command(Pd& pd, MonoTime now);
  void go_state(Pd& pd, PdState next, MonoTime now);
  void go_offline(Pd& pd, MonoTime now, std::int64_t wait_us);
  void start_handshake(Pd& pd, MonoTime now);
  void restart_session(Pd& pd, SecurityAlarm alarm, MonoTime now);
  void drop(DropReason reason);
  void raise(Pd& pd, SecurityAlarm alarm);

  CpSettings settings_;
  std::vector<Pd> pds_;
  Send send_;
  CpEvents events_;
  Bytes rx_;
  std::optional<std::size_t> outstanding_;  // index into pds_ of the PD asked
  MonoTime sent_at_{};
  std::size_t cursor_ = 0;
  MonoTime now_{};
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops_{};
};

}  // namespace gatehouse::readers::osdp
