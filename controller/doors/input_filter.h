// One input point of a door (a contact or an exit button): polarity, then
// debounce. Raw bits come from the I/O side as the module reads them (1 = closed
// circuit, controller/doors/io.h); what leaves is a logical value, "active":
// a contact is active when the door is open, an exit button when it is pressed.
//
// The debounce rule (docs/doors.md, "Debounce"): a change on a quiet point is
// reported at once, so a forced door is seen on the first poll that shows it.
// The point is then held: further changes are reported only once the point has
// been quiet (no change) for `hold` and at least `hold` has passed since the
// last report; the settled value is reported then if it differs from the last
// report, and the point is held again. A point that never goes quiet is
// reported at the latest `max_hold` after the last report. So a point reports
// at most one change per `hold`, a chattering contact does not flood the event
// store, and the final settled value is always reported. Changes that were
// never reported are counted (suppressed()) for metrics and logs.
//
// Time: MonoTime only, from the caller (the poll's stamp). No clock, no I/O.
// Thread safety: none; one filter per point, used on the reactor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "site/site.h"

namespace gatehouse::controller::doors {

inline constexpr std::chrono::microseconds kDefaultHold = std::chrono::milliseconds(400);
inline constexpr std::chrono::microseconds kDefaultMaxHold = std::chrono::seconds(4);

// The logical value of a raw bit: true when the point is not at rest. A
// normally-closed point rests on a closed circuit (raw 1), so raw 0 is active;
// a normally-open point the reverse.
bool active_from_raw(bool raw, site::Polarity normally);

class InputFilter {
 public:
  struct Change {
    bool active = false;
    // The first value after construction or reset(): a reading, not a change
    // (a door found open is not a door that opened).
    bool initial = false;
    bool operator==(const Change&) const = default;
  };

  // hold below 1 µs is taken as 1 µs; max_hold below hold is taken as hold.
  explicit InputFilter(site::Polarity normally, std::chrono::microseconds hold = kDefaultHold,
                       std::chrono::microseconds max_hold = kDefaultMaxHold);

  // One poll's raw bit. Returns the change to report now, if any: the first
  // reading, a change on a quiet point, or the settled value of a held point
  // whose hold ended by `now`.
  std::optional<Change> sample(bool raw, MonoTime now);

  // Ends a hold that is due by `now`; call at next_deadline() so a settled value
  // is reported even when no poll arrives (polls normally come more often).
  std::optional<Change> tick(MonoTime now);

  // When tick() has something to do; nullopt while the point is quiet.
  std::optional<MonoTime> next_deadline() const;

  // Forget everything but the counters: the next sample is an initial reading.
  // Call when the point's module goes offline.
  void reset();

  // The last reported logical value; nullopt before the first reading.
  std::optional<bool> reported() const { return reported_; }
  // Changes seen on the wire that were never reported on their own.
  std::uint64_t suppressed() const { return observed_ - reported_changes_; }
  std::uint64_t reported_changes() const { return reported_changes_; }

 private:
  std::optional<Change> flush(MonoTime now);
  Change report(bool active, MonoTime now);

  site::Polarity normally_;
  std::int64_t hold_us_;
  std::int64_t max_hold_us_;
  std::optional<bool> reported_;
  bool current_ = false;  // the latest sampled logical value
  bool holding_ = false;
  MonoTime last_report_{};
  MonoTime last_change_{};
  std::uint64_t observed_ = 0;
  std::uint64_t reported_changes_ = 0;
};

}  // namespace gatehouse::controller::doors
