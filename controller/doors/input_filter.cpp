#include "controller/doors/input_filter.h"

#include <algorithm>

namespace gatehouse::controller::doors {

bool active_from_raw(bool raw, site::Polarity normally) {
  return normally == site::Polarity::kNormallyClosed ? !raw : raw;
}

InputFilter::InputFilter(site::Polarity normally, std::chrono::microseconds hold,
                         std::chrono::microseconds max_hold)
    : normally_(normally),
      hold_us_(std::max<std::int64_t>(hold.count(), 1)),
      max_hold_us_(std::max<std::int64_t>(max_hold.count(), hold_us_)) {}

std::optional<InputFilter::Change> InputFilter::sample(bool raw, MonoTime now) {
  const bool active = active_from_raw(raw, normally_);
  if (!reported_) {
    reported_ = active;
    current_ = active;
    holding_ = true;
    last_report_ = now;
    last_change_ = now;
    return Change{active, true};
  }
  // A hold that ended before this poll ends first, exactly as if tick() had been
  // called at its deadline; at most one of the two steps below reports.
  if (std::optional<Change> settled = flush(now)) {
    if (active != current_) {
      ++observed_;
      current_ = active;
      last_change_ = now;
    }
    return settled;
  }
  if (active == current_) return std::nullopt;
  ++observed_;
  current_ = active;
  last_change_ = now;
  if (holding_) return std::nullopt;
  return report(active, now);
}

std::optional<InputFilter::Change> InputFilter::tick(MonoTime now) { return flush(now); }

std::optional<MonoTime> InputFilter::next_deadline() const {
  if (!holding_) return std::nullopt;
  // Quiet for hold, at least hold after the last report, at most max_hold after it.
  const std::int64_t quiet = std::max(last_report_.us, last_change_.us) + hold_us_;
  return MonoTime{std::min(quiet, last_report_.us + max_hold_us_)};
}

void InputFilter::reset() {
  reported_.reset();
  current_ = false;
  holding_ = false;
}

std::optional<InputFilter::Change> InputFilter::flush(MonoTime now) {
  std::optional<MonoTime> due = next_deadline();
  if (!due || now < *due) return std::nullopt;
  if (current_ != *reported_) return report(current_, now);
  holding_ = false;
  return std::nullopt;
}

InputFilter::Change InputFilter::report(bool active, MonoTime now) {
  reported_ = active;
  ++reported_changes_;
  holding_ = true;
  last_report_ = now;
  return Change{active, false};
}

}  // namespace gatehouse::controller::doors
