// Schedules on the decision path: CompiledSchedule and LocalTimeCache, across
// both 2026 clock changes in Europe/London (29 March 01:00 UTC forward, 25
// October 01:00 UTC back), on holidays, and over a simulated year checked
// against an independent computation with date::zoned_time.
#include "controller/schedule.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace gatehouse::controller {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

WallTime utc(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
  auto t = date::sys_days{date::year{y} / date::month{m} / date::day{d}} + hours{h} + minutes{min} +
           seconds{s};
  return WallTime{std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count()};
}

WallTime plus_minutes(WallTime t, std::int64_t m) { return WallTime{t.us + m * 60'000'000}; }

site::Schedule every_day(int start_min, int end_min) {
  site::Schedule s;
  s.id = "test";
  for (int day = 0; day < 7; ++day) s.weekly[day] = {{start_min, end_min}};
  return s;
}

// The example site's business hours.
site::Schedule business_hours() {
  site::Schedule s;
  s.id = "business-hours";
  for (int day = 0; day < 5; ++day) s.weekly[day] = {{7 * 60, 19 * 60 + 30}};
  s.weekly[5] = {{8 * 60, 13 * 60}};
  s.holidays = {"2026-12-25", "2026-12-26", "2027-01-01"};
  return s;
}

class London : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<LocalTimeCache> c = LocalTimeCache::for_zone("Europe/London");
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    cache_.emplace(c.value());
  }
  bool open(const CompiledSchedule& s, WallTime t) { return s.open_at(cache_->to_local(t)); }
  std::optional<LocalTimeCache> cache_;
};

TEST_F(London, SevenOClockIsSevenLocalOnBothSidesOfTheSpringChange) {
  CompiledSchedule s(every_day(7 * 60, 19 * 60 + 30));
  // Saturday 28 March, GMT: 07:00 local is 07:00 UTC.
  EXPECT_FALSE(open(s, utc(2026, 3, 28, 6, 59, 59)));
  EXPECT_TRUE(open(s, utc(2026, 3, 28, 7, 0)));
  EXPECT_TRUE(open(s, utc(2026, 3, 28, 19, 29, 59)));
  EXPECT_FALSE(open(s, utc(2026, 3, 28, 19, 30)));
  // Sunday 29 March, clocks went forward at 01:00 UTC: 07:00 BST is 06:00 UTC.
  EXPECT_FALSE(open(s, utc(2026, 3, 29, 5, 59, 59)));
  EXPECT_TRUE(open(s, utc(2026, 3, 29, 6, 0)));
  EXPECT_TRUE(open(s, utc(2026, 3, 29, 18, 29, 59)));
  EXPECT_FALSE(open(s, utc(2026, 3, 29, 18, 30)));
  // Monday 30 March, still BST.
  EXPECT_FALSE(open(s, utc(2026, 3, 30, 5, 59)));
  EXPECT_TRUE(open(s, utc(2026, 3, 30, 6, 0)));
}

TEST_F(London, SevenOClockIsSevenLocalOnBothSidesOfTheAutumnChange) {
  CompiledSchedule s(every_day(7 * 60, 19 * 60 + 30));
  // Saturday 24 October, BST: 06:00 UTC.
  EXPECT_FALSE(open(s, utc(2026, 10, 24, 5, 59, 59)));
  EXPECT_TRUE(open(s, utc(2026, 10, 24, 6, 0)));
  EXPECT_FALSE(open(s, utc(2026, 10, 24, 18, 30)));
  // Sunday 25 October, clocks went back at 01:00 UTC: GMT, 07:00 UTC.
  EXPECT_FALSE(open(s, utc(2026, 10, 25, 6, 0)));
  EXPECT_FALSE(open(s, utc(2026, 10, 25, 6, 59, 59)));
  EXPECT_TRUE(open(s, utc(2026, 10, 25, 7, 0)));
  EXPECT_TRUE(open(s, utc(2026, 10, 25, 19, 29)));
  EXPECT_FALSE(open(s, utc(2026, 10, 25, 19, 30)));
  EXPECT_TRUE(open(s, utc(2026, 10, 26, 7, 0)));
}

TEST_F(London, AlwaysStaysOpenThroughTheGapAndTheRepeatedHour) {
  CompiledSchedule always(every_day(0, 1440));
  for (WallTime start : {utc(2026, 3, 28, 22, 0), utc(2026, 10, 24, 22, 0)}) {
    for (int m = 0; m <= 6 * 60; ++m) {
      WallTime t = plus_minutes(start, m);
      ASSERT_TRUE(open(always, t)) << format_utc(t);
      ASSERT_TRUE(open(always, WallTime{t.us + 59'999'999})) << format_utc(t);
    }
  }
}

TEST_F(London, LocalClockSkipsAndRepeatsAnHour) {
  // 00:59 GMT -> 02:00 BST.
  EXPECT_EQ(cache_->to_local(utc(2026, 3, 29, 0, 59)).minute, 59);
  EXPECT_EQ(cache_->to_local(utc(2026, 3, 29, 1, 0)).minute, 120);
  // 01:59 BST -> 01:00 GMT: the hour from 01:00 local happens twice.
  EXPECT_EQ(cache_->to_local(utc(2026, 10, 25, 0, 0)).minute, 60);
  EXPECT_EQ(cache_->to_local(utc(2026, 10, 25, 0, 59)).minute, 119);
  EXPECT_EQ(cache_->to_local(utc(2026, 10, 25, 1, 0)).minute, 60);
  EXPECT_EQ(cache_->to_local(utc(2026, 10, 25, 1, 0)).weekday, 6);  // Sunday
}

TEST_F(London, HolidayClosesAWeekdayAndItsOwnHoursApply) {
  CompiledSchedule s(business_hours());
  EXPECT_TRUE(open(s, utc(2026, 12, 24, 10, 0)));   // Thursday
  EXPECT_FALSE(open(s, utc(2026, 12, 25, 10, 0)));  // Friday, Christmas Day
  EXPECT_FALSE(open(s, utc(2026, 12, 26, 10, 0)));  // Saturday, Boxing Day: Saturday hours do not apply
  EXPECT_TRUE(open(s, utc(2026, 12, 28, 10, 0)));   // Monday
  EXPECT_FALSE(open(s, utc(2027, 1, 1, 10, 0)));

  site::Schedule with_holiday_hours = business_hours();
  with_holiday_hours.weekly[site::kHolidayDay] = {{9 * 60, 12 * 60}};
  CompiledSchedule h(with_holiday_hours);
  EXPECT_FALSE(open(h, utc(2026, 12, 25, 8, 59)));
  EXPECT_TRUE(open(h, utc(2026, 12, 25, 9, 0)));
  EXPECT_FALSE(open(h, utc(2026, 12, 25, 12, 0)));
}

TEST(LocalTimeCacheZones, UnknownZoneIsInvalidInput) {
  Result<LocalTimeCache> c = LocalTimeCache::for_zone("Europe/Newcastle");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput);
}

TEST(ParseIsoDay, DaysSinceTheEpoch) {
  EXPECT_EQ(parse_iso_day("1970-01-01"), 0);
  EXPECT_EQ(parse_iso_day("2026-03-29"), 20541);
  EXPECT_EQ(parse_iso_day("1969-12-31"), -1);
  EXPECT_FALSE(parse_iso_day("2026-02-30").has_value());
  EXPECT_FALSE(parse_iso_day("2026-3-29").has_value());
  EXPECT_FALSE(parse_iso_day("2026-03-2x").has_value());
  EXPECT_FALSE(parse_iso_day("").has_value());
}

// The reference: local time from date::zoned_time, and the site::Schedule read
// directly (intervals and holiday strings), never the compiled bitmap.
bool reference_open(const site::Schedule& s, const date::time_zone* zone, WallTime t) {
  auto sys = date::sys_time<std::chrono::microseconds>{std::chrono::microseconds{t.us}};
  auto local = date::zoned_time<std::chrono::microseconds>{zone, sys}.get_local_time();
  auto day = date::floor<date::days>(local);
  int minute = static_cast<int>(date::floor<minutes>(local - day).count());
  std::string iso = date::format("%F", day);
  int weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
  bool holiday = std::binary_search(s.holidays.begin(), s.holidays.end(), iso);
  auto it = s.weekly.find(holiday ? site::kHolidayDay : weekday);
  if (it == s.weekly.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const site::Interval& iv) { return minute >= iv.start_min && minute < iv.end_min; });
}

struct YearCase {
  const char* zone;
  int year;
};

class SimulatedYear : public ::testing::TestWithParam<YearCase> {};

TEST_P(SimulatedYear, EverySevenMinutesAgreesWithZonedTime) {
  const YearCase c = GetParam();
  Result<LocalTimeCache> cache = LocalTimeCache::for_zone(c.zone);
  ASSERT_TRUE(cache.ok());
  const date::time_zone* zone = date::locate_zone(c.zone);
  site::Schedule business = business_hours();
  business.holidays.insert(business.holidays.begin(), {"2026-04-03", "2026-04-06"});  // Easter
  site::Schedule split = every_day(0, 0);
  split.weekly = {{0, {{0, 30}, {23 * 60 + 30, 1440}}}, {6, {{60, 120}, {150, 151}}}};
  split.holidays = {"2026-10-25"};
  split.weekly[site::kHolidayDay] = {{0, 1440}};
  std::vector<site::Schedule> schedules = {business, split, every_day(7 * 60, 19 * 60 + 30)};
  std::vector<CompiledSchedule> compiled(schedules.begin(), schedules.end());

  WallTime t = utc(c.year, 1, 1, 0, 0);
  WallTime end = utc(c.year + 1, 1, 1, 0, 0);
  int samples = 0, opens = 0;
  for (; t < end; t = WallTime{t.us + 7 * 60'000'000 + 1'234'567}) {  // 7 min and a bit: every second of the minute
    LocalTime local = cache->to_local(t);
    for (std::size_t i = 0; i < schedules.size(); ++i) {
      bool expected = reference_open(schedules[i], zone, t);
      ASSERT_EQ(compiled[i].open_at(local), expected)
          << c.zone << " schedule " << i << " at " << format_utc(t);
      opens += expected ? 1 : 0;
    }
    ++samples;
  }
  EXPECT_GT(samples, 70000);
  EXPECT_GT(opens, samples / 4);  // the comparison saw both answers
}

INSTANTIATE_TEST_SUITE_P(Zones, SimulatedYear,
                         ::testing::Values(YearCase{"Europe/London", 2026},
                                           YearCase{"America/St_Johns", 2026},     // -03:30, DST
                                           YearCase{"Australia/Lord_Howe", 2026},  // 30-minute DST
                                           YearCase{"Europe/London", 1969}));      // before the epoch

}  // namespace
}  // namespace gatehouse::controller
