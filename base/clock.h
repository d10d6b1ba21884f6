// The one clock seam. Wall time (UTC, microseconds since the Unix epoch) is for
// stamping events and evaluating schedules; monotonic time is for timeouts and
// never jumps. They are different types so one cannot be passed for the other.
// See docs/time.md for the assumptions and how the system degrades when they fail.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace gatehouse {

struct WallTime {
  std::int64_t us = 0;  // microseconds since 1970-01-01T00:00:00Z
  auto operator<=>(const WallTime&) const = default;
};

struct MonoTime {
  std::int64_t us = 0;  // microseconds since an arbitrary fixed point
  auto operator<=>(const MonoTime&) const = default;
};

// RFC 3339 with microseconds in UTC, e.g. 2026-03-03T09:15:02.123456Z.
std::string format_utc(WallTime t);

// Thread safety: implementations must be callable from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime wall() const = 0;
  virtual MonoTime mono() const = 0;
};

// The wall time at which `clock`'s monotonic reading was `at` (for stamping an
// event that was timed on the monotonic clock, e.g. bytes arriving on a line).
inline WallTime wall_at(const Clock& clock, MonoTime at) {
  return WallTime{clock.wall().us - (clock.mono().us - at.us)};
}

class SystemClock final : public Clock {
 public:
  WallTime wall() const override;
  MonoTime mono() const override;
  static const SystemClock& instance();
};

// A clock the tests drive by hand: time moves only when advance() is called.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start) : wall_us_(start.us) {}
  WallTime wall() const override { return WallTime{wall_us_.load()}; }
  MonoTime mono() const override { return MonoTime{mono_us_.load()}; }
  void advance(std::chrono::microseconds d) {
    wall_us_ += d.count();
    mono_us_ += d.count();
  }
  // Steps wall time only, as an NTP correction would; monotonic time is unaffected.
  void step_wall(std::chrono::microseconds d) { wall_us_ += d.count(); }

 private:
  std::atomic<std::int64_t> wall_us_;
  std::atomic<std::int64_t> mono_us_{0};
};

}  // namespace gatehouse
