#include "base/clock.h"

#include <ctime>
#include <cstdio>

namespace gatehouse {

std::string format_utc(WallTime t) {
  std::int64_t secs = t.us / 1'000'000;
  std::int64_t frac = t.us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    secs -= 1;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

WallTime SystemClock::wall() const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return WallTime{std::chrono::duration_cast<std::chrono::microseconds>(now).count()};
}

MonoTime SystemClock::mono() const {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return MonoTime{std::chrono::duration_cast<std::chrono::microseconds>(now).count()};
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace gatehouse
