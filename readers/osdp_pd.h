// The OSDP peripheral device: a virtual reader that answers a control panel
// the way a real reader does (address filter, sequence numbers and the retry
// rule, POLL answered with queued events, the Secure Channel handshake from
// the PD side, KEYSET). Used by the tests, the simulator and the demo; it
// follows osdp_link.h: bytes in through receive(), bytes out through Send, no
// clock reads, no threads. One thread at a time; Send must not call back in.
//
// Not a production reader: its RND.B comes from a seeded std::mt19937_64
// (settings.random_seed), fine for a simulator, not for a real device.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "readers/osdp_frame.h"
#include "readers/osdp_link.h"
#include "readers/osdp_messages.h"
#include "readers/osdp_sc.h"
#include "readers/wiegand.h"

namespace gatehouse::readers::osdp {

struct PdSettings {
  std::uint8_t address = 0;
  Identity identity;
  std::vector<Capability> capabilities;
  bool keypad = true;              // has a keypad (keypad() is refused otherwise)
  std::optional<Key> scbk;         // the reader's own key, when one is set
  bool install_mode = false;       // accepts a handshake with SCBK-D (and then KEYSET)
  bool require_secure = false;     // once a key is set, NAK plaintext commands (but ID/CAP/CHLNG)
  bool use_crc = true;
  std::uint64_t random_seed = 1;
};

// Counters a test reads; every packet the PD ignores or refuses lands in one.
struct PdCounters {
  std::uint64_t commands = 0;         // accepted and answered
  std::uint64_t repeats = 0;          // same SQN and bytes: last reply sent again
  std::uint64_t other_address = 0;    // for another PD (normal on a multi-drop line)
  std::uint64_t parse_skips = 0;
  std::uint64_t not_commands = 0;     // a reply seen on the line
  std::uint64_t sequence_errors = 0;  // NAK 0x04
  std::uint64_t mac_failures = 0;     // NAK 0x06, session dropped
  std::uint64_t plaintext_refused = 0;
  std::uint64_t dropped_by_hook = 0;
};

class PeripheralDevice {
 public:
  PeripheralDevice(PdSettings settings, Send send);

  // Bytes from the line. `now` only drives the inter-character timeout: a
  // partial packet older than 20 ms is dropped when new bytes arrive.
  void receive(std::span<const std::uint8_t> bytes, MonoTime now);

  // Events, answered to the next POLL in order.
  void present_card(const RawCard& card, std::uint8_t reader = 0, std::uint8_t format = 1);
  Status keypad(std::string digits);
  void set_tamper(bool tamper);          // queues LSTATR when it changes
  void set_power_failure(bool failure);  // queues LSTATR when it changes

  // What the reader shows: the last command of each kind.
  const std::optional<LedCommand>& last_led() const { return last_led_; }
  const std::optional<BuzzerCommand>& last_buzzer() const { return last_buzzer_; }
  const std::optional<TextCommand>& last_text() const { return last_text_; }
  const std::optional<OutputControl>& last_output() const { return last_output_; }
  std::size_t led_commands() const { return led_commands_; }
  std::size_t buzzer_commands() const { return buzzer_commands_; }

  // The key in force (set by KEYSET). Tests only: a key is never logged.
  const std::optional<Key>& scbk() const { return settings_.scbk; }
  bool install_mode() const { return settings_.install_mode; }
  bool secure_channel_active() const { return session_.has_value(); }
  const PdCounters& counters() const { return counters_; }
  std::size_t pending_events() const { return events_.size(); }

  // Test hooks: misbehave on the next n replies.
  void drop_next_replies(int n) { drop_replies_ = n; }
  void busy_next_replies(int n) { busy_replies_ = n; }
  void corrupt_next_replies(int n) { corrupt_replies_ = n; }
  // Answers without the Secure Channel (plain packets) even inside a session:
  // what a downgrade attack or a misconfigured reader looks like to the CP.
  void force_plaintext(bool on) { force_plaintext_ = on; }

 private:
  void handle_packet(const Packet& packet, std::span<const std::uint8_t> wire, std::size_t mac_input_bytes);
  Message dispatch(const Message& command, bool secure);
  Message handle_chlng(const Packet& packet, const Message& command);
  Message handle_scrypt(const Packet& packet, const Message& command);
  void reply(const Packet& command, const Message& message, std::optional<SecurityBlock> handshake_block,
             bool record = true);
  void send_bytes(Bytes bytes);
  void queue_status();

  PdSettings settings_;
  Send send_;
  std::mt19937_64 rng_;
  Bytes rx_;
  MonoTime last_rx_{};

  // Sequence and the retry rule.
  std::optional<std::uint8_t> last_sequence_;
  Bytes last_command_;
  Bytes last_reply_;
  std::optional<Message> unconfirmed_event_;  // sent, not yet known to have arrived

  // Secure Channel.
  struct Handshake {
    Key key{};
    Random rnd_a{};
    Random rnd_b{};
    SessionKeys keys;
    bool default_key = false;
  };
  std::optional<Handshake> handshake_;
  std::optional<SecureSession> session_;

  std::deque<Message> events_;
  LocalStatus status_;
  std::optional<LedCommand> last_led_;
  std::optional<BuzzerCommand> last_buzzer_;
  std::optional<TextCommand> last_text_;
  std::optional<OutputControl> last_output_;
  std::size_t led_commands_ = 0;
  std::size_t buzzer_commands_ = 0;
  PdCounters counters_;
  int drop_replies_ = 0;
  int busy_replies_ = 0;
  int corrupt_replies_ = 0;
  bool force_plaintext_ = false;
};

}  // namespace gatehouse::readers::osdp
