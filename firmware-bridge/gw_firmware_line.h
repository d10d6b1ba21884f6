// The Wiegand firmware line protocol (docs/firmware-protocol.md): ASCII lines
// from a microcontroller that reads a Wiegand reader, and the feedback lines
// the bridge writes back. Pure functions and small value types, no I/O: the
// serial side is gw_wiegand.*.
//
// Thread safety: none needed (no shared state); each object belongs to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "readers/osdp_messages.h"
#include "readers/wiegand.h"

namespace gatehouse::bridge {

inline constexpr std::size_t kMaxFirmwareLineBytes = 128;

struct CardLine {
  readers::RawCard card;  // the bits as read, parity unchecked
};
struct KeyLine {
  std::string digits;  // 0-9, '*', '#'
};
struct TamperLine {
  bool tamper = false;
};
struct HeartbeatLine {};

using FirmwareLine = std::variant<CardLine, KeyLine, TamperLine, HeartbeatLine>;

// One line without its '\n' (a trailing '\r' is tolerated). An unknown verb or
// malformed arguments: kInvalidInput with what is wrong.
Result<FirmwareLine> parse_firmware_line(std::string_view line);

// Feedback for the firmware, each ending in '\n'.
// "LED <color> <on_100ms> <off_100ms>": the temporary state when the command
// sets one, else the permanent one; nullopt when it sets neither.
std::optional<std::string> led_line(const readers::osdp::LedCommand& led);
// "BUZ <count> <on_100ms> <off_100ms>"; tone off: "BUZ 0 0 0".
std::string buzzer_line(const readers::osdp::BuzzerCommand& buzzer);
std::string_view led_color_name(std::uint8_t color);

// Splits the serial byte stream into lines. A line longer than
// kMaxFirmwareLineBytes is discarded up to its '\n' and counted.
class LineSplitter {
 public:
  // Appends bytes; returns the complete lines they finish.
  std::vector<std::string> feed(std::string_view bytes);
  std::uint64_t overlong_lines() const { return overlong_; }
  std::size_t buffered() const { return partial_.size(); }

 private:
  std::string partial_;
  bool discarding_ = false;
  std::uint64_t overlong_ = 0;
};

// At most `per_second` lines in each one-second window; the rest are refused
// (a flooding firmware must not starve the controller link or the log).
class LineRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit LineRateLimiter(int per_second = 50) : per_second_(per_second) {}
  // True when the line may pass. `first_refusal` is set on the first refusal of a window.
  bool admit(TimePoint now, bool& first_refusal);
  std::uint64_t refused() const { return refused_; }

 private:
  int per_second_;
  TimePoint window_start_{};
  int in_window_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace gatehouse::bridge
