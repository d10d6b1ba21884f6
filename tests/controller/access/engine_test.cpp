// The decision engine, one reason code at a time, on the example office
// (docs/examples/site.toml) and on a small hand-made building. Every scenario is
// one a guard at the door would recognise; times are explicit WallTimes.
#include "controller/access/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "controller/access/pin.h"
#include "tests/controller/access/fixtures.h"

namespace gatehouse::controller::access {
namespace {

using namespace testing;
using db::BadgeState;
using db::PersonKind;

std::string code(const Decision& d) { return std::string(reason_code(d.reason)); }

// ---- the contract itself ----

TEST(ReasonCodes, MatchDocsDecisionsInOrder) {
  std::ifstream in(std::string(GATEHOUSE_SOURCE_DIR) + "/docs/decisions.md");
  ASSERT_TRUE(in.good());
  std::regex row(R"(^\| *(\d+|—) *\| *`([a-z_]+)` *\| *(granted|denied) *\|)");
  std::vector<std::string> documented;
  std::vector<std::string> outcomes;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      documented.push_back(m[2]);
      outcomes.push_back(m[3]);
    }
  }
  ASSERT_EQ(documented.size(), kAllReasons.size());
  for (std::size_t i = 0; i < kAllReasons.size(); ++i) {
    EXPECT_EQ(reason_code(kAllReasons[i]), documented[i]) << "row " << i + 1;
    EXPECT_EQ(is_grant(kAllReasons[i]), outcomes[i] == "granted") << documented[i];
    EXPECT_EQ(parse_reason_code(documented[i]), kAllReasons[i]);
  }
  EXPECT_FALSE(parse_reason_code("granted_maybe").has_value());
}

// ---- the example office ----

// Tuesday 3 March 2026, 10:00 in Newcastle (GMT, so also 10:00 UTC).
const WallTime kTuesdayTen = london(2026, 3, 3, 10, 0);

class ExampleOffice : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::string> pin = hash_pin("4711");
    ASSERT_TRUE(pin.ok());
    db::AccessData data;
    data.people = {
        person(1, "Alice", {"staff"}),
        person(2, "Ivan", {"it", "staff"}),
        person(3, "Carl", {}, PersonKind::kContractor),
        person(4, "Tess", {"staff"}),
        person(5, "Rita", {"staff"}),
        person(6, "Vera", {}, PersonKind::kVisitor),
        person(7, "Vic", {"it"}, PersonKind::kVisitor),  // wrongly put in "it" at check-in
        person(8, "Nina", {"it"}),
    };
    data.people[3].active = false;  // Tess was terminated this morning
    data.people[5].host_person_id = 1;
    data.people[6].host_person_id = 2;
    data.badges = {
        badge(101, 1, 18, 1001),
        badge(102, 2, 18, 1002),
        badge(103, 3, 18, 1003),
        badge(104, 4, 18, 1004),                       // not revoked yet
        badge(105, 4, 18, 1005, BadgeState::kRevoked),
        badge(106, 5, 18, 1006, BadgeState::kRevoked),
        badge(107, 5, 18, 1007, BadgeState::kSuspended),
        badge(108, 5, 18, 1008, BadgeState::kIssued),
        badge(109, 6, 18, 1009),
        badge(110, 7, 18, 1010),
        badge(111, 8, 18, 1011),                       // no PIN set
    };
    data.badges[1].pin_hash = *pin;
    site_ = example_site();
    Result<Snapshot> snap = Snapshot::build(site_, data);
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    engine_.emplace(std::move(snap.value()));
  }

  Decision at(std::string_view door, std::uint64_t card, WallTime t,
              std::optional<std::string> pin = std::nullopt) {
    return decide_at(*engine_, door, h10301(18, card), t, std::move(pin));
  }

  site::Site site_;
  std::optional<Engine> engine_;
};

TEST_F(ExampleOffice, StaffMemberInOfficeHoursIsLetInAndTheEventSaysWhoAndWhere) {
  Decision d = at("main-entrance", 1001, kTuesdayTen);
  EXPECT_TRUE(d.granted);
  EXPECT_EQ(code(d), "granted");
  EXPECT_EQ(d.door_id.view(), "main-entrance");
  EXPECT_EQ(d.reader_id.view(), "r-main-in");
  EXPECT_EQ(d.badge_id, 101);
  EXPECT_EQ(d.person_id, 1);
  EXPECT_EQ(d.credential.view(), h10301_key(18, 1001));
  EXPECT_EQ(d.raw_bits.view(), readers::to_bit_string(h10301(18, 1001)));
  EXPECT_EQ(d.at, kTuesdayTen);
  ASSERT_TRUE(d.effects.last_used_at.has_value());
  EXPECT_EQ(*d.effects.last_used_at, kTuesdayTen);
  EXPECT_FALSE(d.effects.pin_state_changed);
}

TEST_F(ExampleOffice, CardThatFailsParityIsBadFormatAndNeverMatched) {
  readers::RawCard card = h10301(18, 1001);
  card.bits[1] ^= 0x40;  // one data bit flipped in transit
  Decision d = decide_at(*engine_, "main-entrance", card, kTuesdayTen);
  EXPECT_FALSE(d.granted);
  EXPECT_EQ(code(d), "bad_format");
  EXPECT_EQ(d.badge_id, 0);
  EXPECT_TRUE(d.credential.empty());
  EXPECT_EQ(d.raw_bits.view(), readers::to_bit_string(card));
}

TEST_F(ExampleOffice, CardNobodyWasIssuedIsUnknownWithItsBitsLogged) {
  Decision d = at("main-entrance", 4242, kTuesdayTen);
  EXPECT_EQ(code(d), "unknown_credential");
  EXPECT_EQ(d.badge_id, 0);
  EXPECT_EQ(d.person_id, 0);
  EXPECT_EQ(d.credential.view(), h10301_key(18, 4242));
  EXPECT_EQ(d.raw_bits.size(), 26U);
  EXPECT_FALSE(d.effects.last_used_at.has_value());
}

TEST_F(ExampleOffice, RevokedSuspendedAndNotYetActivatedBadges) {
  EXPECT_EQ(code(at("main-entrance", 1006, kTuesdayTen)), "badge_revoked");
  EXPECT_EQ(code(at("main-entrance", 1007, kTuesdayTen)), "badge_suspended");
  EXPECT_EQ(code(at("main-entrance", 1008, kTuesdayTen)), "badge_not_active");
}

TEST_F(ExampleOffice, TerminatedEmployeeIsRefusedEvenBeforeTheBadgeIsRevoked) {
  Decision d = at("main-entrance", 1004, kTuesdayTen);
  EXPECT_EQ(code(d), "person_inactive");
  EXPECT_EQ(d.person_id, 4);
  // The revoked badge says so first: the badge check comes before the person's.
  EXPECT_EQ(code(at("main-entrance", 1005, kTuesdayTen)), "badge_revoked");
}

TEST_F(ExampleOffice, StaffOutsideBusinessHoursWeekendsAndHolidays) {
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 3, 6, 59))), "outside_schedule");
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 3, 7, 0))), "granted");
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 3, 19, 30))), "outside_schedule");
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 8, 10, 0))), "outside_schedule");  // Sunday
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 7, 12, 59))), "granted");          // Saturday
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 12, 25, 10, 0))), "outside_schedule");  // Christmas, a Friday
  // IT's level at the same door is "always".
  EXPECT_EQ(code(at("main-entrance", 1002, london(2026, 12, 25, 10, 0))), "granted");
}

TEST_F(ExampleOffice, ContractorWithNoLevelHasNoAccess) {
  EXPECT_EQ(code(at("main-entrance", 1003, kTuesdayTen)), "no_access");
}

TEST_F(ExampleOffice, StaffMemberAtTheItRoomIsRestrictedNotMerelyWithoutAccess) {
  EXPECT_EQ(code(at("it-storage-door", 1001, kTuesdayTen, "4711")), "restricted_area");
}

TEST_F(ExampleOffice, VisitorAtTheItRoomIsRestrictedEvenWhenWronglyPutInTheItGroup) {
  EXPECT_EQ(code(at("it-storage-door", 1009, kTuesdayTen)), "restricted_area");
  EXPECT_EQ(code(at("it-storage-door", 1010, kTuesdayTen)), "restricted_area");
  // The same visitor's "it" membership does open the unrestricted doors its level names.
  EXPECT_EQ(code(at("main-entrance", 1010, kTuesdayTen)), "granted");
}

TEST(ExampleOfficeMisconfigured, RestrictedAreaWinsOverALevelThatWronglyGrantsIt) {
  // An operator's snapshot built straight from a site that the site file and the
  // database would both refuse: "office-hours" also reaches the IT room.
  site::Site bad = example_site();
  for (site::AccessLevel& level : bad.access_levels) {
    if (level.id == "office-hours") level.doors.push_back("it-storage-door");
  }
  for (site::Door& door : bad.doors) door.mode = site::DoorMode::kCard;
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"})};
  data.badges = {badge(101, 1, 18, 1001)};
  Result<Snapshot> snap = Snapshot::build(bad, data);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  Engine engine(std::move(snap.value()));
  EXPECT_EQ(code(decide_at(engine, "it-storage-door", h10301(18, 1001), kTuesdayTen)),
            "restricted_area");

  // The wrong level is really there: without restricted_to it would open the door.
  for (site::Area& area : bad.areas) area.restricted_to.clear();
  Result<Snapshot> open = Snapshot::build(bad, data);
  ASSERT_TRUE(open.ok());
  Engine engine2(std::move(open.value()));
  EXPECT_EQ(code(decide_at(engine2, "it-storage-door", h10301(18, 1001), kTuesdayTen)), "granted");
}

TEST_F(ExampleOffice, CardAndPinDoorWrongPinUntilLockoutAndAfterItEnds) {
  const char* door = "it-storage-door";
  WallTime t = kTuesdayTen;
  Decision none = at(door, 1002, t);
  EXPECT_EQ(code(none), "pin_required");
  EXPECT_FALSE(none.effects.pin_state_changed);

  for (int i = 1; i <= 4; ++i) {
    Decision d = at(door, 1002, plus_s(t, i), "0000");
    EXPECT_EQ(code(d), "wrong_pin") << i;
    EXPECT_TRUE(d.effects.pin_state_changed);
    EXPECT_FALSE(d.effects.pin_ok);
    EXPECT_EQ(d.effects.pin_failures, i);
    EXPECT_FALSE(d.effects.pin_locked_until.has_value());
  }
  // The fifth wrong PIN (Site::pin_attempts = 5) locks the badge out for 15 minutes.
  WallTime fifth = plus_s(t, 5);
  Decision locking = at(door, 1002, fifth, "1234");
  EXPECT_EQ(code(locking), "wrong_pin");
  ASSERT_TRUE(locking.effects.pin_locked_until.has_value());
  WallTime until = plus_s(fifth, 15 * 60);
  EXPECT_EQ(*locking.effects.pin_locked_until, until);
  EXPECT_EQ(locking.effects.pin_failures, 0);

  // Even the right PIN does not help during the lockout, nor does no PIN.
  EXPECT_EQ(code(at(door, 1002, plus_s(fifth, 1), "4711")), "pin_locked_out");
  EXPECT_EQ(code(at(door, 1002, plus_s(fifth, 60))), "pin_locked_out");
  EXPECT_EQ(code(at(door, 1002, plus_us(until, -1), "4711")), "pin_locked_out");
  // The lockout ends; the right PIN opens and clears the lockout in the database.
  Decision after = at(door, 1002, until, "4711");
  EXPECT_EQ(code(after), "granted");
  EXPECT_TRUE(after.effects.pin_state_changed);
  EXPECT_TRUE(after.effects.pin_ok);
  EXPECT_EQ(after.effects.pin_failures, 0);
  EXPECT_FALSE(after.effects.pin_locked_until.has_value());
}

TEST_F(ExampleOffice, CorrectPinResetsTheCountSoMistakesDoNotAccumulate) {
  const char* door = "it-storage-door";
  for (int round = 0; round < 3; ++round) {
    WallTime t = plus_s(kTuesdayTen, round * 100);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(code(at(door, 1002, plus_s(t, i), "9999")), "wrong_pin");
    Decision ok = at(door, 1002, plus_s(t, 10), "4711");
    EXPECT_EQ(code(ok), "granted") << round;
    EXPECT_TRUE(ok.effects.pin_state_changed);
    EXPECT_EQ(ok.effects.pin_failures, 0);
    // Nothing to persist when nothing changed.
    EXPECT_FALSE(at(door, 1002, plus_s(t, 20), "4711").effects.pin_state_changed);
  }
}

TEST_F(ExampleOffice, BadgeWithoutAPinNeverPassesACardAndPinDoorAndIsNotLockedOut) {
  for (int i = 0; i < 8; ++i) {
    Decision d = at("it-storage-door", 1011, plus_s(kTuesdayTen, i), "4711");
    EXPECT_EQ(code(d), "wrong_pin");
    EXPECT_FALSE(d.effects.pin_state_changed);
  }
  EXPECT_EQ(code(at("main-entrance", 1011, kTuesdayTen)), "granted");
}

TEST(ExampleOfficePinState, SeededFromTheBadgeRow) {
  Result<std::string> pin = hash_pin("4711");
  ASSERT_TRUE(pin.ok());
  db::AccessData data;
  data.people = {person(2, "Ivan", {"it"}), person(8, "Nina", {"it"})};
  data.badges = {badge(102, 2, 18, 1002), badge(111, 8, 18, 1011)};
  data.badges[0].pin_hash = *pin;
  data.badges[0].pin_failures = 4;  // four wrong PINs before the controller restarted
  data.badges[1].pin_hash = *pin;
  data.badges[1].pin_locked_until = plus_s(kTuesdayTen, 60);
  Result<Snapshot> snap = Snapshot::build(example_site(), data);
  ASSERT_TRUE(snap.ok());
  Engine engine(std::move(snap.value()));
  Decision d = decide_at(engine, "it-storage-door", h10301(18, 1002), kTuesdayTen, "0000");
  EXPECT_EQ(code(d), "wrong_pin");
  EXPECT_TRUE(d.effects.pin_locked_until.has_value());
  EXPECT_EQ(code(decide_at(engine, "it-storage-door", h10301(18, 1011), kTuesdayTen, "4711")),
            "pin_locked_out");
  EXPECT_EQ(code(decide_at(engine, "it-storage-door", h10301(18, 1011), plus_s(kTuesdayTen, 60), "4711")),
            "granted");
}

TEST_F(ExampleOffice, PinIsNotAskedOfPeopleTheDoorRefusesAnyway) {
  // Alice is refused by the restricted area; her wrong PIN is never counted.
  Decision d = at("it-storage-door", 1001, kTuesdayTen, "0000");
  EXPECT_EQ(code(d), "restricted_area");
  EXPECT_FALSE(d.effects.pin_state_changed);
}

TEST_F(ExampleOffice, SoftAntiPassbackIntoTheOfficeGrantsAndLogs) {
  EXPECT_EQ(code(at("office-door", 1001, kTuesdayTen)), "granted");
  Decision again = at("office-door", 1001, plus_s(kTuesdayTen, 60));
  EXPECT_TRUE(again.granted);
  EXPECT_EQ(code(again), "granted_passback_logged");
}

TEST_F(ExampleOffice, LockdownLetsOnlyTheAllowedGroupThroughAndOnlyWhereItsLevelsReach) {
  Snapshot& snap = engine_->snapshot();
  snap.set_lockdown(db::LockdownRow{true, "it", "desk", kTuesdayTen});
  EXPECT_EQ(code(at("main-entrance", 1001, kTuesdayTen)), "lockdown");
  EXPECT_EQ(code(at("main-entrance", 1002, kTuesdayTen)), "granted");
  // Lockdown is checked before the restricted area.
  EXPECT_EQ(code(at("it-storage-door", 1001, kTuesdayTen)), "lockdown");

  snap.set_lockdown(db::LockdownRow{true, "staff", "desk", kTuesdayTen});
  EXPECT_EQ(code(at("main-entrance", 1001, london(2026, 3, 3, 21, 0))), "outside_schedule");
  EXPECT_EQ(code(at("main-entrance", 1003, kTuesdayTen)), "lockdown");

  snap.set_lockdown(db::LockdownRow{true, "", "desk", kTuesdayTen});
  EXPECT_EQ(code(at("main-entrance", 1002, kTuesdayTen)), "lockdown");
  snap.set_lockdown(db::LockdownRow{true, "no-such-group", "desk", kTuesdayTen});
  EXPECT_EQ(code(at("main-entrance", 1002, kTuesdayTen)), "lockdown");

  snap.set_lockdown(db::LockdownRow{false, "", "desk", kTuesdayTen});
  EXPECT_EQ(code(at("main-entrance", 1001, kTuesdayTen)), "granted");
}

TEST_F(ExampleOffice, UnknownDoorIndexIsAnErrorNotADecision) {
  DecisionRequest r;
  r.door = 99;
  r.card = h10301(18, 1001);
  r.at = kTuesdayTen;
  Result<Decision> d = engine_->decide(r);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(engine_->snapshot().find_door_by_reader("r-it-in"), engine_->snapshot().find_door("it-storage-door"));
  EXPECT_FALSE(engine_->snapshot().find_door("no-such-door").has_value());
}

// ---- validity windows ----

class Building : public ::testing::Test {
 protected:
  void build(db::AccessData data) {
    Result<Snapshot> snap = Snapshot::build(building_site(), data);
    ASSERT_TRUE(snap.ok()) << snap.error().to_string();
    engine_.emplace(std::move(snap.value()));
  }
  Decision at(std::string_view door, std::uint64_t card, WallTime t) {
    return decide_at(*engine_, door, h10301(20, card), t);
  }
  std::optional<Engine> engine_;
};

TEST_F(Building, VisitorPassOpensUntilTheEndOfItsWindowAndNotOneMicrosecondAfter) {
  db::AccessData data;
  data.people = {person(1, "Vic", {"visitors"}, PersonKind::kVisitor)};
  data.badges = {badge(11, 1, 20, 11)};
  data.badges[0].visitor_pass = true;
  data.badges[0].valid_from = london(2026, 3, 3, 9, 0);
  data.badges[0].valid_until = london(2026, 3, 3, 17, 0);
  build(data);
  EXPECT_EQ(code(at("hall-in", 11, london(2026, 3, 3, 8, 59, 59))), "not_yet_valid");
  EXPECT_EQ(code(at("hall-in", 11, london(2026, 3, 3, 9, 0))), "granted");
  EXPECT_EQ(code(at("hall-out", 11, london(2026, 3, 3, 16, 59))), "granted");
  EXPECT_EQ(code(at("hall-in", 11, london(2026, 3, 3, 17, 0))), "granted");
  EXPECT_EQ(code(at("hall-out", 11, plus_us(london(2026, 3, 3, 17, 0), 1))), "expired");
}

TEST_F(Building, VisitorPassAcrossLocalMidnightInSummerTime) {
  // A night-shift visitor: 20:00 Friday 12 June to 01:30 Saturday, BST (UTC+1).
  db::AccessData data;
  data.people = {person(1, "Vic", {"visitors"}, PersonKind::kVisitor)};
  data.badges = {badge(11, 1, 20, 11)};
  data.badges[0].visitor_pass = true;
  data.badges[0].valid_from = london(2026, 6, 12, 20, 0);
  data.badges[0].valid_until = london(2026, 6, 13, 1, 30);
  build(data);
  EXPECT_EQ(london(2026, 6, 13, 1, 30).us, utc(2026, 6, 13, 0, 30).us);
  EXPECT_EQ(code(at("hall-in", 11, london(2026, 6, 12, 23, 59))), "granted");
  EXPECT_EQ(code(at("hall-out", 11, london(2026, 6, 13, 0, 1))), "granted");
  EXPECT_EQ(code(at("hall-in", 11, london(2026, 6, 13, 1, 30))), "granted");
  EXPECT_EQ(code(at("hall-out", 11, plus_us(london(2026, 6, 13, 1, 30), 1))), "expired");
  // Read as UTC the window would end an hour later: it does not.
  EXPECT_EQ(code(at("hall-out", 11, utc(2026, 6, 13, 1, 29))), "expired");
}

// ---- anti-passback ----

TEST_F(Building, HardAntiPassbackDeniesASecondEntryUntilTheExitOrAForgive) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"}), person(2, "Bob", {"staff"})};
  data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12)};
  build(data);
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("hall-in", 11, t)), "granted");
  // Bob follows on his own badge; Alice presenting hers again at the entrance
  // (say, to let a friend in) is a passback.
  EXPECT_EQ(code(at("hall-in", 12, plus_s(t, 5))), "granted");
  Decision again = at("hall-in", 11, plus_s(t, 10));
  EXPECT_FALSE(again.granted);
  EXPECT_EQ(code(again), "anti_passback");
  EXPECT_FALSE(again.effects.last_used_at.has_value());
  // Leaving through the exit reader moves her outside; then she may enter.
  EXPECT_EQ(code(at("hall-out", 11, plus_s(t, 20))), "granted");
  EXPECT_EQ(code(at("hall-in", 11, plus_s(t, 30))), "granted");
  // She leaves by the push button (no read), so the system still has her inside;
  // the security desk forgives her.
  EXPECT_EQ(code(at("hall-in", 11, plus_s(t, 3600))), "anti_passback");
  EXPECT_TRUE(engine_->forgive(1));
  EXPECT_EQ(code(at("hall-in", 11, plus_s(t, 3601))), "granted");
  EXPECT_FALSE(engine_->forgive(999));
}

TEST_F(Building, SoftAntiPassbackGrantsAndLogs) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"})};
  data.badges = {badge(11, 1, 20, 11)};
  build(data);
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("hall-in", 11, t)), "granted");
  EXPECT_EQ(code(at("lab-in", 11, plus_s(t, 10))), "granted");
  Decision d = at("lab-in", 11, plus_s(t, 20));
  EXPECT_TRUE(d.granted);
  EXPECT_EQ(code(d), "granted_passback_logged");
  EXPECT_TRUE(engine_->forgive(1));
  EXPECT_EQ(code(at("lab-in", 11, plus_s(t, 30))), "granted");
}

TEST_F(Building, AntiPassbackLocationsSurviveASiteReload) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"})};
  data.badges = {badge(11, 1, 20, 11)};
  build(data);
  EXPECT_EQ(code(at("hall-in", 11, kTuesdayTen)), "granted");
  Result<Snapshot> next = Snapshot::build(building_site(), data);
  ASSERT_TRUE(next.ok());
  engine_->replace_snapshot(std::move(next.value()));
  EXPECT_EQ(code(at("hall-in", 11, plus_s(kTuesdayTen, 60))), "anti_passback");
}

// ---- two-person rule ----

TEST_F(Building, TwoPersonVaultOpensForTheSecondPersonWithinTenSeconds) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff", "vault"}), person(2, "Bob", {"staff", "vault"}),
                 person(3, "Carol", {"staff"})};
  data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12), badge(13, 1, 20, 13),
                 badge(14, 3, 20, 14)};
  build(data);
  WallTime t = kTuesdayTen;
  Decision first = at("vault-in", 11, t);
  EXPECT_FALSE(first.granted);
  EXPECT_EQ(code(first), "two_person_pending");
  // The same person twice, even with her second badge, is still one person.
  EXPECT_EQ(code(at("vault-in", 11, plus_s(t, 2))), "two_person_pending");
  EXPECT_EQ(code(at("vault-in", 13, plus_s(t, 3))), "two_person_pending");
  // Carol is not authorised for the vault: she cannot be the second person.
  EXPECT_EQ(code(at("vault-in", 14, plus_s(t, 4))), "restricted_area");
  Decision second = at("vault-in", 12, plus_s(t, 13));  // 10 s after Alice's last
  EXPECT_TRUE(second.granted);
  EXPECT_EQ(code(second), "granted");
  EXPECT_EQ(second.person_id, 2);
  EXPECT_EQ(second.companion_person_id, 1);
  // The pair is used up: the next badge starts a new one.
  EXPECT_EQ(code(at("vault-in", 12, plus_s(t, 14))), "two_person_pending");
}

TEST_F(Building, TwoPersonPairLapsesAfterTenSeconds) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff", "vault"}), person(2, "Bob", {"staff", "vault"})};
  data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12)};
  build(data);
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("vault-in", 11, t)), "two_person_pending");
  EXPECT_EQ(code(at("vault-in", 12, plus_us(plus_s(t, 10), 1))), "two_person_pending");
  // Bob is now the first of a new pair; Alice completes it.
  Decision d = at("vault-in", 11, plus_s(t, 12));
  EXPECT_EQ(code(d), "granted");
  EXPECT_EQ(d.companion_person_id, 2);
}

// ---- visitor escort ----

class Escort : public Building {
 protected:
  void SetUp() override {
    db::AccessData data;
    data.people = {person(1, "Hana", {"staff"}), person(2, "Vic", {"visitors"}, PersonKind::kVisitor),
                   person(3, "Alice", {"staff"}), person(4, "Otto", {"visitors"}, PersonKind::kVisitor)};
    data.people[1].host_person_id = 1;  // Vic visits Hana; Otto has no host on record
    data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12), badge(13, 3, 20, 13),
                   badge(14, 4, 20, 14)};
    build(data);
  }
};

TEST_F(Escort, VisitorFollowsTheHostWhoBadgedFiveSecondsBefore) {
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("hall-in", 11, t)), "granted");
  EXPECT_EQ(code(at("hall-in", 12, plus_s(t, 2))), "granted");  // no escort needed at the hall
  EXPECT_EQ(code(at("lab-in", 11, plus_s(t, 60))), "granted");
  Decision vic = at("lab-in", 12, plus_s(t, 65));
  EXPECT_TRUE(vic.granted);
  EXPECT_EQ(code(vic), "granted");
}

TEST_F(Escort, VisitorFifteenSecondsBehindTheHostIsRefused) {
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("lab-in", 11, t)), "granted");
  EXPECT_EQ(code(at("lab-in", 12, plus_s(t, 15))), "escort_required");
  // Exactly 10 s still counts.
  EXPECT_EQ(code(at("lab-in", 11, plus_s(t, 100))), "granted_passback_logged");
  EXPECT_EQ(code(at("lab-in", 12, plus_s(t, 110))), "granted");
}

TEST_F(Escort, SomeoneElseOrTheHostAtAnotherDoorDoesNotCount) {
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("lab-in", 13, t)), "granted");  // Alice is not Vic's host
  EXPECT_EQ(code(at("lab-in", 12, plus_s(t, 2))), "escort_required");
  EXPECT_EQ(code(at("hall-out", 11, plus_s(t, 10))), "granted");  // Hana, elsewhere
  EXPECT_EQ(code(at("lab-in", 12, plus_s(t, 12))), "escort_required");
  // A visitor without a host on record is never escorted.
  EXPECT_EQ(code(at("lab-in", 11, plus_s(t, 20))), "granted");
  EXPECT_EQ(code(at("lab-in", 14, plus_s(t, 21))), "escort_required");
  // Staff need no escort.
  EXPECT_EQ(code(at("lab-in", 13, plus_s(t, 40))), "granted_passback_logged");
}

TEST_F(Escort, BusyDoorStillFindsTheHostAmongTheLastFifteenGrants) {
  db::AccessData data;
  data.people = {person(1, "Hana", {"staff"}), person(2, "Vic", {"visitors"}, PersonKind::kVisitor)};
  data.people[1].host_person_id = 1;
  data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12)};
  for (int i = 0; i < 15; ++i) {
    data.people.push_back(person(100 + i, "crowd", {"staff"}));
    data.badges.push_back(badge(100 + i, 100 + i, 21, static_cast<std::uint64_t>(i)));
  }
  build(data);
  WallTime t = kTuesdayTen;
  EXPECT_EQ(code(at("lab-in", 11, t)), "granted");
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(code(decide_at(*engine_, "lab-in", h10301(21, static_cast<std::uint64_t>(i)), plus_us(t, i))),
              "granted");
  }
  EXPECT_EQ(code(at("lab-in", 12, plus_s(t, 5))), "granted");
}

}  // namespace
}  // namespace gatehouse::controller::access

namespace gatehouse::controller::access {
namespace {

// A visitor belongs to no group by row; the example site's reserved group
// `visitors` is theirs implicitly, so its level says where their pass works.
TEST(VisitorsGroup, APassOpensTheVisitorLevelOnlyAndNeverTheItRoom) {
  db::AccessData data;
  data.people = {testing::person(1, "Ida Host", {"it", "staff"}),
                 testing::person(2, "Vera Visitor", {}, db::PersonKind::kVisitor)};
  data.people[1].host_person_id = 1;
  data.badges = {testing::badge(11, 1, 30, 11), testing::badge(12, 2, 30, 12)};
  data.badges[1].visitor_pass = true;
  Result<Snapshot> snap = Snapshot::build(testing::example_site(), data);
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  Engine engine(std::move(snap).value());

  const WallTime monday_ten = testing::london(2026, 11, 23, 10, 0);
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 12), monday_ten).reason,
            Reason::kGranted);
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 12),
                               testing::london(2026, 11, 23, 22, 0))
                .reason,
            Reason::kOutsideSchedule);
  EXPECT_EQ(testing::decide_at(engine, "it-storage-door", testing::h10301(30, 12), monday_ten).reason,
            Reason::kRestrictedArea);
  // The office door needs the host: alone refused, 5 s after the host granted.
  EXPECT_EQ(testing::decide_at(engine, "office-door", testing::h10301(30, 12), monday_ten).reason,
            Reason::kEscortRequired);
  const WallTime later = testing::plus_s(monday_ten, 60);
  EXPECT_EQ(testing::decide_at(engine, "office-door", testing::h10301(30, 11), later).reason,
            Reason::kGranted);
  EXPECT_EQ(testing::decide_at(engine, "office-door", testing::h10301(30, 12),
                               testing::plus_s(later, 5))
                .reason,
            Reason::kGranted);
}

}  // namespace
}  // namespace gatehouse::controller::access

namespace gatehouse::controller::access {
namespace {

// Door mode "locked": only the allowed group passes; nobody when none is given;
// unlocking restores the ordinary checks.
TEST(DoorLocked, OnlyTheAllowedGroupPasses) {
  db::AccessData data;
  data.people = {testing::person(1, "Ida Tech", {"it", "staff"}),
                 testing::person(2, "Sam Staff", {"staff"})};
  data.badges = {testing::badge(11, 1, 30, 11), testing::badge(12, 2, 30, 12)};
  Result<Snapshot> snap = Snapshot::build(testing::example_site(), data);
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  Engine engine(std::move(snap).value());
  const WallTime monday_ten = testing::london(2026, 11, 23, 10, 0);

  ASSERT_TRUE(engine.snapshot().set_door_locked("main-entrance", true, std::string("it")).ok());
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 11), monday_ten).reason,
            Reason::kGranted);
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 12), monday_ten).reason,
            Reason::kDoorLocked);
  // Other doors are not affected.
  EXPECT_EQ(testing::decide_at(engine, "office-door", testing::h10301(30, 12), monday_ten).reason,
            Reason::kGranted);

  ASSERT_TRUE(engine.snapshot().set_door_locked("main-entrance", true, std::nullopt).ok());
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 11), monday_ten).reason,
            Reason::kDoorLocked);
  ASSERT_TRUE(engine.snapshot().set_door_locked("main-entrance", false, std::nullopt).ok());
  EXPECT_EQ(testing::decide_at(engine, "main-entrance", testing::h10301(30, 12), monday_ten).reason,
            Reason::kGranted);
  EXPECT_EQ(engine.snapshot().set_door_locked("back-door", true, std::nullopt).error().kind,
            ErrorKind::kNotFound);
}

}  // namespace
}  // namespace gatehouse::controller::access
