// The input filter: polarity for both kinds of point, and the debounce rule of
// docs/doors.md ("Debounce") on bursts, glitches, chatter and long random runs.
// Times are explicit MonoTimes; nothing sleeps.
#include "controller/doors/input_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace gatehouse::controller::doors {
namespace {

using site::Polarity;
using Change = InputFilter::Change;

MonoTime ms(std::int64_t v) { return MonoTime{v * 1000}; }

TEST(Polarity, NormallyClosedContactReadsOneWhenTheDoorIsClosed) {
  EXPECT_FALSE(active_from_raw(true, Polarity::kNormallyClosed));  // closed circuit: door shut
  EXPECT_TRUE(active_from_raw(false, Polarity::kNormallyClosed));  // open circuit: door open
  InputFilter contact(Polarity::kNormallyClosed);
  EXPECT_EQ(contact.sample(true, ms(0)), (Change{false, true}));  // first reading: closed
  EXPECT_EQ(contact.sample(false, ms(1000)), (Change{true, false}));  // opened
}

TEST(Polarity, NormallyOpenContactIsTheReverse) {
  EXPECT_TRUE(active_from_raw(true, Polarity::kNormallyOpen));
  EXPECT_FALSE(active_from_raw(false, Polarity::kNormallyOpen));
  InputFilter contact(Polarity::kNormallyOpen);
  EXPECT_EQ(contact.sample(false, ms(0)), (Change{false, true}));  // door shut, circuit open
  EXPECT_EQ(contact.sample(true, ms(1000)), (Change{true, false}));
}

TEST(Polarity, ExitButtonNormallyOpenIsPressedOnAClosedCircuit) {
  InputFilter button(Polarity::kNormallyOpen);
  EXPECT_EQ(button.sample(false, ms(0)), (Change{false, true}));    // released
  EXPECT_EQ(button.sample(true, ms(1000)), (Change{true, false}));   // pressed
  EXPECT_EQ(button.sample(false, ms(2000)), (Change{false, false}));  // released
}

TEST(Polarity, ExitButtonWiredNormallyClosedIsPressedOnAnOpenCircuit) {
  InputFilter button(Polarity::kNormallyClosed);
  EXPECT_EQ(button.sample(true, ms(0)), (Change{false, true}));
  EXPECT_EQ(button.sample(false, ms(1000)), (Change{true, false}));
}

TEST(Debounce, FirstChangeOnAQuietPointIsReportedInTheSamePoll) {
  InputFilter f(Polarity::kNormallyClosed);
  ASSERT_TRUE(f.sample(true, ms(0)));
  EXPECT_FALSE(f.sample(true, ms(100)));
  EXPECT_FALSE(f.sample(true, ms(500)));  // the initial hold ended quietly
  EXPECT_FALSE(f.next_deadline().has_value());
  EXPECT_EQ(f.sample(false, ms(600)), (Change{true, false}));
}

TEST(Debounce, HundredBouncesWithinOneSecondGiveAtMostThreeReportsEndingSettled) {
  for (int bounces : {99, 100}) {
    InputFilter f(Polarity::kNormallyClosed);
    ASSERT_TRUE(f.sample(true, ms(-1000)));  // closed and quiet
    ASSERT_FALSE(f.sample(true, ms(-500)));
    bool raw = true;
    std::vector<std::int64_t> report_ms;
    for (int i = 0; i < bounces; ++i) {  // a change every 10 ms: 0..990 ms
      raw = !raw;
      if (f.sample(raw, ms(i * 10))) report_ms.push_back(i * 10);
    }
    for (std::int64_t t = 1000; t <= 3000; t += 10) {  // settled; polls go on
      if (f.sample(raw, ms(t))) report_ms.push_back(t);
    }
    EXPECT_LE(report_ms.size(), 3u) << bounces;
    ASSERT_FALSE(report_ms.empty());
    EXPECT_EQ(report_ms.front(), 0) << "the first change is not delayed";
    for (std::size_t i = 1; i < report_ms.size(); ++i) {
      EXPECT_GE(report_ms[i] - report_ms[i - 1], 400);
    }
    ASSERT_TRUE(f.reported().has_value());
    EXPECT_EQ(*f.reported(), active_from_raw(raw, Polarity::kNormallyClosed))
        << "ends on the settled value";
    EXPECT_EQ(f.suppressed(), static_cast<std::uint64_t>(bounces) - f.reported_changes());
  }
}

TEST(Debounce, AGlitchIsReportedThenTheSettledValueAfterTheHold) {
  InputFilter f(Polarity::kNormallyClosed);
  ASSERT_TRUE(f.sample(true, ms(0)));
  ASSERT_FALSE(f.sample(true, ms(1000)));
  EXPECT_EQ(f.sample(false, ms(1100)), (Change{true, false}));  // glitch: open at once
  EXPECT_FALSE(f.sample(true, ms(1110)));                        // back: held
  EXPECT_EQ(f.next_deadline(), ms(1510));                        // quiet 400 ms after 1110
  EXPECT_FALSE(f.tick(ms(1509)));
  EXPECT_EQ(f.tick(ms(1510)), (Change{false, false}));  // no poll needed
  EXPECT_EQ(f.next_deadline(), ms(1910));               // held again after the report
  EXPECT_FALSE(f.tick(ms(1910)));
  EXPECT_FALSE(f.next_deadline().has_value());
  EXPECT_EQ(f.suppressed(), 0u);  // both changes were reported, one late
}

TEST(Debounce, HoldEndingBetweenPollsIsSettledBeforeTheNextSample) {
  InputFilter f(Polarity::kNormallyClosed);
  ASSERT_TRUE(f.sample(true, ms(0)));
  ASSERT_FALSE(f.sample(true, ms(500)));
  ASSERT_TRUE(f.sample(false, ms(600)));   // open at once
  ASSERT_FALSE(f.sample(true, ms(700)));   // closed, held until 1100
  // The next poll comes late and shows open again: the door was closed from 700
  // to at least 1100, which is reported first; the new opening is then held.
  EXPECT_EQ(f.sample(false, ms(1200)), (Change{false, false}));
  EXPECT_EQ(f.next_deadline(), ms(1600));
  EXPECT_EQ(f.tick(ms(1600)), (Change{true, false}));
}

TEST(Debounce, HoldLengthIsAParameter) {
  InputFilter f(Polarity::kNormallyClosed, std::chrono::milliseconds(100),
                std::chrono::seconds(1));
  ASSERT_TRUE(f.sample(true, ms(0)));
  ASSERT_FALSE(f.sample(true, ms(100)));
  ASSERT_TRUE(f.sample(false, ms(200)));
  ASSERT_FALSE(f.sample(true, ms(210)));
  EXPECT_EQ(f.next_deadline(), ms(310));
}

TEST(Debounce, ContinuousChatterIsReportedAtMostOncePerMaxHold) {
  InputFilter f(Polarity::kNormallyClosed);
  ASSERT_TRUE(f.sample(true, ms(0)));
  std::mt19937 rng(7);
  std::vector<std::int64_t> reports;
  // A minute of random bits at 10 ms: never quiet for 400 ms.
  for (std::int64_t t = 1000; t < 61000; t += 10) {
    if (f.sample(rng() & 1u, ms(t))) reports.push_back(t);
  }
  ASSERT_GE(reports.size(), 10u) << "a chattering point is still reported now and then";
  for (std::size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i] - reports[i - 1], 4000);
  }
  EXPECT_GT(f.suppressed(), 1000u);
}

TEST(Debounce, ResetMakesTheNextSampleAnInitialReading) {
  InputFilter f(Polarity::kNormallyClosed);
  ASSERT_TRUE(f.sample(true, ms(0)));
  f.reset();
  EXPECT_FALSE(f.reported().has_value());
  EXPECT_FALSE(f.next_deadline().has_value());
  EXPECT_EQ(f.sample(true, ms(10)), (Change{false, true}));  // same value, still reported
}

// Random bounce patterns around real transitions, polled at 10 ms for a
// simulated hour: reports are at least 400 ms apart, every report is a change,
// and whenever the point has been quiet for 400 ms past the hold, the reported
// value is the real one.
TEST(Debounce, RandomHourKeepsTheRule) {
  InputFilter f(Polarity::kNormallyClosed);
  std::mt19937_64 rng(42);
  bool door_open = false;
  std::int64_t bounce_until = -1;
  std::int64_t next_move = 2000;
  std::int64_t last_report = -1'000'000;
  std::int64_t last_raw_change = 0;
  bool last_raw = true;
  bool reported = false;
  for (std::int64_t t = 0; t < 3'600'000; t += 10) {
    if (t >= next_move) {
      door_open = !door_open;
      bounce_until = t + static_cast<std::int64_t>(rng() % 350);
      next_move = t + 200 + static_cast<std::int64_t>(rng() % 8000);
    }
    const bool raw = t < bounce_until ? (rng() & 1u) != 0 : !door_open;
    if (raw != last_raw) last_raw_change = t;
    last_raw = raw;
    if (std::optional<Change> c = f.sample(raw, ms(t))) {
      if (!c->initial) {
        EXPECT_GE(t - last_report, 400) << "at " << t;
        EXPECT_NE(c->active, reported) << "at " << t;
      }
      reported = c->active;
      last_report = t;
    }
    if (t - last_raw_change >= 400 && t - last_report >= 400) {
      ASSERT_EQ(reported, !raw) << "settled value not reported at " << t;
    }
  }
  EXPECT_GT(f.reported_changes(), 500u);
  EXPECT_GT(f.suppressed(), 0u);
}

}  // namespace
}  // namespace gatehouse::controller::doors
