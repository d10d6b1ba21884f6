// Schedules compiled for the decision path: a week of minutes as a bitmap plus a
// sorted list of holiday dates, evaluated against local time in the site's zone.
// Evaluating one is a few array reads; converting UTC to local time uses a cached
// UTC offset valid until the zone's next transition, so DST changes are exact and
// the tz database is consulted about twice a year.
//
// Thread safety: CompiledSchedule is immutable. LocalTimeCache is not
// thread-safe: one per thread (the reactor owns the decision path's).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "site/site.h"

namespace date {
class time_zone;
}

namespace gatehouse::controller {

// A local civil time: what a wall clock on site shows.
struct LocalTime {
  std::int32_t days = 0;  // days since 1970-01-01 in local time
  int weekday = 0;        // 0 = Monday .. 6 = Sunday
  int minute = 0;         // minute of the local day, 0..1439
};

class LocalTimeCache {
 public:
  // kInvalidInput when the zone is unknown to the tz database.
  static Result<LocalTimeCache> for_zone(const std::string& iana_name);
  LocalTime to_local(WallTime t);

 private:
  explicit LocalTimeCache(const date::time_zone* zone) : zone_(zone) {}
  const date::time_zone* zone_;
  std::int64_t valid_from_s_ = 1;  // empty range until the first lookup
  std::int64_t valid_until_s_ = 0;
  std::int64_t offset_s_ = 0;
};

class CompiledSchedule {
 public:
  static constexpr int kMinutesPerWeek = 7 * 1440;
  CompiledSchedule() = default;
  explicit CompiledSchedule(const site::Schedule& schedule);

  bool open_at(const LocalTime& t) const;
  const std::string& id() const { return id_; }

 private:
  std::string id_;
  std::bitset<kMinutesPerWeek> week_;
  std::bitset<1440> holiday_;          // minutes open on a holiday
  std::vector<std::int32_t> holidays_;  // local days since epoch, sorted
};

// Days since 1970-01-01 for an ISO date "YYYY-MM-DD"; nullopt when malformed.
std::optional<std::int32_t> parse_iso_day(const std::string& iso);

}  // namespace gatehouse::controller
