// When a Modbus module counts as offline, and how soon the bus tries again:
// the link state machine of one module and the reconnect backoff, as plain
// values so the rules are tested without a socket (docs/modbus.md, "Offline").
//
// Thread safety: none; each bus owns its trackers and uses them on its thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::controller::doors {

enum class LinkState {
  kUnknown,  // started, no poll finished yet
  kOnline,   // the last poll was answered
  kOffline,  // reported offline: 3 failed polls in a row, or the connection was lost
};
std::string_view link_state_name(LinkState state);

// A change the bus reports through IoCallbacks::on_link.
struct LinkChange {
  bool online = false;
  std::string reason;
  bool operator==(const LinkChange&) const = default;
};

// One module's link. Transitions (all here, nowhere else):
//   kUnknown, kOffline --good poll--------------------> kOnline   "answering"
//   kUnknown, kOnline  --3rd failed poll in a row-----> kOffline  the last error in words
//   kUnknown, kOnline  --connection lost or refused---> kOffline  at once
// Every other event changes no state and reports nothing, so each change is
// reported exactly once.
class LinkTracker {
 public:
  static constexpr int kFailedPollsOffline = 3;

  std::optional<LinkChange> good_poll();
  // errnum: the libmodbus errno of the poll's last attempt.
  std::optional<LinkChange> failed_poll(int errnum);
  std::optional<LinkChange> link_lost(std::string reason);

  LinkState state() const { return state_; }
  // Offline and the module's last word was a Modbus exception: it is there but
  // refuses, so it keeps being polled at its period rather than backed off.
  bool refusing() const { return state_ == LinkState::kOffline && refusing_; }
  // Why the module is offline (the reported reason), empty otherwise.
  const std::string& reason() const { return reason_; }

 private:
  LinkState state_ = LinkState::kUnknown;
  int failed_polls_ = 0;
  bool refusing_ = false;
  std::string reason_;
};

// Exponential backoff: first, 2×first, 4×first, ... capped at cap.
class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration first, Duration cap) : first_(first), cap_(cap), next_(first) {}
  Duration next();
  void reset() { next_ = first_; }

 private:
  Duration first_;
  Duration cap_;
  Duration next_;
};

// The bus's reconnect backoff: 100 ms doubling to 5 s.
inline constexpr std::chrono::milliseconds kBackoffFirst{100};
inline constexpr std::chrono::milliseconds kBackoffCap{5000};

}  // namespace gatehouse::controller::doors
