#include "controller/schedule.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace gatehouse::controller {

Result<LocalTimeCache> LocalTimeCache::for_zone(const std::string& iana_name) {
  try {
    return LocalTimeCache(date::locate_zone(iana_name));
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInvalidInput,
                      "unknown time zone '" + iana_name + "': " + e.what());
  }
}

LocalTime LocalTimeCache::to_local(WallTime t) {
  std::int64_t secs = t.us >= 0 ? t.us / 1'000'000 : -((-t.us + 999'999) / 1'000'000);
  if (secs < valid_from_s_ || secs >= valid_until_s_) {
    auto info = zone_->get_info(date::sys_seconds{std::chrono::seconds{secs}});
    valid_from_s_ = info.begin.time_since_epoch().count();
    valid_until_s_ = info.end.time_since_epoch().count();
    offset_s_ = info.offset.count();
  }
  std::int64_t local = secs + offset_s_;
  std::int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  std::int64_t second_of_day = local - days * 86400;
  LocalTime out;
  out.days = static_cast<std::int32_t>(days);
  // 1970-01-01 was a Thursday (ISO weekday index 3 when Monday is 0).
  out.weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);
  out.minute = static_cast<int>(second_of_day / 60);
  return out;
}

std::optional<std::int32_t> parse_iso_day(const std::string& iso) {
  // Exactly DDDD-DD-DD: sscanf alone would take "2026-03-2x" or "+026-03-29".
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (iso[i] < '0' || iso[i] > '9') return std::nullopt;
  }
  int y = 0, m = 0, d = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<std::int32_t>(date::sys_days{ymd}.time_since_epoch().count());
}

CompiledSchedule::CompiledSchedule(const site::Schedule& schedule) : id_(schedule.id) {
  for (const auto& [day, intervals] : schedule.weekly) {
    for (const auto& iv : intervals) {
      for (int m = iv.start_min; m < iv.end_min && m < 1440; ++m) {
        if (day == site::kHolidayDay) {
          holiday_.set(static_cast<std::size_t>(m));
        } else if (day >= 0 && day < 7) {
          week_.set(static_cast<std::size_t>(day * 1440 + m));
        }
      }
    }
  }
  for (const auto& iso : schedule.holidays) {
    if (auto d = parse_iso_day(iso)) holidays_.push_back(*d);
  }
  std::sort(holidays_.begin(), holidays_.end());
}

bool CompiledSchedule::open_at(const LocalTime& t) const {
  if (!holidays_.empty() && std::binary_search(holidays_.begin(), holidays_.end(), t.days)) {
    return holiday_.test(static_cast<std::size_t>(t.minute));
  }
  return week_.test(static_cast<std::size_t>(t.weekday * 1440 + t.minute));
}

}  // namespace gatehouse::controller
