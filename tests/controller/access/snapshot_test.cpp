// The snapshot: what a build accepts, skips and refuses, and the incremental
// updates the database's notifications drive, judged by the next decision a
// badge holder would see.
#include "controller/access/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "controller/access/engine.h"
#include "tests/controller/access/fixtures.h"

namespace gatehouse::controller::access {
namespace {

using namespace testing;
using db::BadgeState;

const WallTime kTuesdayTen = london(2026, 3, 3, 10, 0);
const WallTime kTuesdayNine = london(2026, 3, 3, 21, 0);  // 9 pm: only IT's "always" level is open

std::string code(const Decision& d) { return std::string(reason_code(d.reason)); }

db::AccessData office_people() {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"}), person(2, "Ivan", {"it", "staff"})};
  data.badges = {badge(101, 1, 18, 1001), badge(102, 2, 18, 1002), badge(103, 1, 18, 1003)};
  return data;
}

Engine office_engine(const db::AccessData& data) {
  Result<Snapshot> snap = Snapshot::build(example_site(), data);
  EXPECT_TRUE(snap.ok()) << snap.error().to_string();
  return Engine(std::move(snap.value()));
}

std::string at_main(Engine& e, std::uint64_t card, WallTime t = kTuesdayTen) {
  return code(decide_at(e, "main-entrance", h10301(18, card), t));
}

TEST(SnapshotBuild, SkipsAndCountsRowsItCannotUse) {
  db::AccessData data = office_people();
  data.people[0].groups = {"staff", "cleaners"};  // "cleaners" is not in the site
  data.badges.push_back(badge(104, 99, 18, 1004));  // person 99 does not exist
  db::BadgeRow garbled = badge(105, 1, 18, 1005);
  garbled.credential = "26:ZZZ";
  data.badges.push_back(garbled);
  BuildReport report;
  Result<Snapshot> snap = Snapshot::build(example_site(), data, &report);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(report.people, 2U);
  EXPECT_EQ(report.badges, 3U);
  EXPECT_EQ(report.badges_without_person, 1U);
  EXPECT_EQ(report.badges_bad_credential, 1U);
  EXPECT_EQ(report.unknown_group_memberships, 1U);
  Engine engine(std::move(snap.value()));
  EXPECT_EQ(at_main(engine, 1001), "granted");  // the known group still counts
  EXPECT_EQ(at_main(engine, 1004), "unknown_credential");
}

TEST(SnapshotBuild, RefusesInputsThatContradictEachOther) {
  auto refused = [](const site::Site& site, const db::AccessData& data) {
    Result<Snapshot> snap = Snapshot::build(site, data);
    if (snap.ok()) return std::string("accepted");
    EXPECT_EQ(snap.error().kind, ErrorKind::kInvalidInput) << snap.error().message;
    return snap.error().message;
  };
  const site::Site good = example_site();
  const db::AccessData people = office_people();

  db::AccessData twice = people;
  twice.people.push_back(person(1, "Alice again", {}));
  EXPECT_NE(refused(good, twice).find("person 1"), std::string::npos);

  twice = people;
  twice.badges.push_back(badge(101, 2, 18, 2001));
  EXPECT_NE(refused(good, twice).find("badge 101"), std::string::npos);

  twice = people;
  twice.badges.push_back(badge(201, 2, 18, 1001));  // Alice's credential on a second badge
  EXPECT_NE(refused(good, twice).find("belongs to badge 101"), std::string::npos);

  site::Site s = good;
  s.doors[0].to_area = "atrium";
  EXPECT_NE(refused(s, people).find("unknown area"), std::string::npos);
  s = good;
  s.access_levels[0].doors.push_back("back-door");
  EXPECT_NE(refused(s, people).find("unknown door 'back-door'"), std::string::npos);
  s = good;
  s.access_levels[0].schedule = "nights";
  EXPECT_NE(refused(s, people).find("unknown schedule"), std::string::npos);
  s = good;
  s.access_levels[0].groups.push_back("cleaners");
  EXPECT_NE(refused(s, people).find("unknown group"), std::string::npos);
  s = good;
  s.timezone = "Europe/Newcastle";
  EXPECT_NE(refused(s, people).find("Europe/Newcastle"), std::string::npos);
  s = good;
  s.doors[1].reader = s.doors[0].reader;
  EXPECT_NE(refused(s, people).find("two doors"), std::string::npos);
  s = good;
  s.doors[0].id = std::string(65, 'd');
  EXPECT_NE(refused(s, people).find("64 characters"), std::string::npos);
}

TEST(SnapshotUpdate, RevokingABadgeFlipsTheNextDecision) {
  db::AccessData data = office_people();
  Engine engine = office_engine(data);
  EXPECT_EQ(at_main(engine, 1001), "granted");
  db::BadgeRow row = data.badges[0];
  row.state = BadgeState::kRevoked;
  ASSERT_TRUE(engine.snapshot().upsert_badge(row).ok());
  EXPECT_EQ(at_main(engine, 1001), "badge_revoked");
  EXPECT_EQ(at_main(engine, 1003), "granted");  // her other badge is untouched

  row = data.badges[2];
  row.state = BadgeState::kSuspended;
  ASSERT_TRUE(engine.snapshot().upsert_badge(row).ok());
  EXPECT_EQ(at_main(engine, 1003), "badge_suspended");
  row.state = BadgeState::kActive;
  ASSERT_TRUE(engine.snapshot().upsert_badge(row).ok());
  EXPECT_EQ(at_main(engine, 1003), "granted");
  EXPECT_EQ(engine.snapshot().badge_count(), 3U);
}

TEST(SnapshotUpdate, RemovingAPersonTakesTheirBadgesWithThem) {
  db::AccessData data = office_people();
  Engine engine = office_engine(data);
  ASSERT_TRUE(engine.snapshot().remove_person(1));
  EXPECT_EQ(at_main(engine, 1001), "unknown_credential");
  EXPECT_EQ(at_main(engine, 1003), "unknown_credential");
  EXPECT_EQ(at_main(engine, 1002), "granted");
  EXPECT_EQ(engine.snapshot().person_count(), 1U);
  EXPECT_EQ(engine.snapshot().badge_count(), 1U);
  EXPECT_FALSE(engine.snapshot().remove_person(1));
  // A badge for her now has no person to belong to.
  Status orphan = engine.snapshot().upsert_badge(data.badges[0]);
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().kind, ErrorKind::kNotFound);
  // She is re-hired: person first, then badge.
  ASSERT_TRUE(engine.snapshot().upsert_person(data.people[0]).ok());
  ASSERT_TRUE(engine.snapshot().upsert_badge(data.badges[0]).ok());
  EXPECT_EQ(at_main(engine, 1001), "granted");
}

TEST(SnapshotUpdate, PersonChangesApplyAndKeepBadgesAndLocation) {
  db::AccessData data = office_people();
  Engine engine = office_engine(data);
  EXPECT_EQ(code(decide_at(engine, "office-door", h10301(18, 1001), kTuesdayTen)), "granted");
  db::PersonRow alice = data.people[0];
  alice.groups = {};
  ASSERT_TRUE(engine.snapshot().upsert_person(alice).ok());
  EXPECT_EQ(at_main(engine, 1001), "no_access");
  alice.groups = {"it", "staff"};
  ASSERT_TRUE(engine.snapshot().upsert_person(alice).ok());
  // Still recorded in the office (soft anti-passback) after both updates.
  EXPECT_EQ(code(decide_at(engine, "office-door", h10301(18, 1001), plus_s(kTuesdayTen, 5))),
            "granted_passback_logged");
  EXPECT_EQ(at_main(engine, 1001, kTuesdayNine), "granted");  // "it" is always open
  alice.active = false;
  ASSERT_TRUE(engine.snapshot().upsert_person(alice).ok());
  EXPECT_EQ(at_main(engine, 1001), "person_inactive");
  EXPECT_EQ(engine.snapshot().person_count(), 2U);
}

TEST(SnapshotUpdate, BadgeRowsThatCannotBeUsedRemoveTheOldVersion) {
  db::AccessData data = office_people();
  Engine engine = office_engine(data);
  db::BadgeRow moved = data.badges[0];
  moved.person_id = 77;  // a person this controller has not heard of yet
  Status s = engine.snapshot().upsert_badge(moved);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(at_main(engine, 1001), "unknown_credential");

  db::BadgeRow garbled = data.badges[1];
  garbled.credential = "26";
  s = engine.snapshot().upsert_badge(garbled);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(at_main(engine, 1002), "unknown_credential");
  EXPECT_EQ(engine.snapshot().badge_count(), 1U);
}

TEST(SnapshotUpdate, CredentialChangesAndConflicts) {
  db::AccessData data = office_people();
  Engine engine = office_engine(data);
  db::BadgeRow row = data.badges[0];
  row.credential = h10301_key(18, 2001);
  ASSERT_TRUE(engine.snapshot().upsert_badge(row).ok());
  EXPECT_EQ(at_main(engine, 1001), "unknown_credential");
  EXPECT_EQ(at_main(engine, 2001), "granted");

  db::BadgeRow thief = badge(300, 2, 18, 2001);  // Alice's new credential
  Status s = engine.snapshot().upsert_badge(thief);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  Decision d = decide_at(engine, "main-entrance", h10301(18, 2001), kTuesdayTen);
  EXPECT_EQ(d.badge_id, 101);
  EXPECT_EQ(d.person_id, 1);

  // Moving a badge to another person.
  row.person_id = 2;
  ASSERT_TRUE(engine.snapshot().upsert_badge(row).ok());
  EXPECT_EQ(decide_at(engine, "main-entrance", h10301(18, 2001), kTuesdayTen).person_id, 2);
  ASSERT_TRUE(engine.snapshot().remove_person(1));
  EXPECT_EQ(at_main(engine, 2001), "granted");  // no longer Alice's
  EXPECT_EQ(at_main(engine, 1003), "unknown_credential");

  EXPECT_TRUE(engine.snapshot().remove_badge(101));
  EXPECT_FALSE(engine.snapshot().remove_badge(101));
  EXPECT_EQ(at_main(engine, 2001), "unknown_credential");
}

// Thousands of random updates against a plain model: every credential the model
// has must decide for its badge and holder, every other must be unknown, and each
// person's groups must be the last ones written (through the group pool's reuse
// and compaction).
TEST(SnapshotUpdate, AgreesWithAModelThroughManyRandomUpdates) {
  db::AccessData start;
  Result<Snapshot> built = Snapshot::build(example_site(), start);
  ASSERT_TRUE(built.ok());
  Engine engine(std::move(built.value()));
  Snapshot& snap = engine.snapshot();

  struct ModelBadge {
    std::int64_t person;
    std::uint64_t card;
  };
  std::map<std::int64_t, std::vector<std::string>> people;  // id -> groups
  std::map<std::int64_t, ModelBadge> badges;
  const std::vector<std::vector<std::string>> group_sets = {{}, {"staff"}, {"it"}, {"it", "staff"}};
  std::mt19937 rng(20260303);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const int kPeople = 400, kBadges = 3000, kCards = 4000;

  for (int op = 0; op < 60000; ++op) {
    int what = pick(10);
    if (what < 3) {
      std::int64_t id = 1 + pick(kPeople);
      auto groups = group_sets[static_cast<std::size_t>(pick(4))];
      ASSERT_TRUE(snap.upsert_person(person(id, "p", groups)).ok());
      people[id] = groups;
    } else if (what < 4) {
      std::int64_t id = 1 + pick(kPeople);
      bool had = people.erase(id) > 0;
      ASSERT_EQ(snap.remove_person(id), had);
      std::erase_if(badges, [&](const auto& kv) { return kv.second.person == id; });
    } else if (what < 8) {
      std::int64_t id = 1 + pick(kBadges);
      std::int64_t holder = 1 + pick(kPeople);
      auto card = static_cast<std::uint64_t>(pick(kCards));
      db::BadgeRow row = badge(id, holder, 30, card);
      if (pick(3) == 0) row.pin_hash = "$not-a-real-hash$" + std::to_string(op);
      Status s = snap.upsert_badge(row);
      bool conflict = std::any_of(badges.begin(), badges.end(), [&](const auto& kv) {
        return kv.first != id && kv.second.card == card;
      });
      if (people.count(holder) == 0) {
        ASSERT_FALSE(s.ok());
        ASSERT_EQ(s.error().kind, ErrorKind::kNotFound);
        badges.erase(id);
      } else if (conflict) {
        ASSERT_FALSE(s.ok());
        ASSERT_EQ(s.error().kind, ErrorKind::kConflict);
      } else {
        ASSERT_TRUE(s.ok()) << s.error().to_string();
        badges[id] = ModelBadge{holder, card};
      }
    } else {
      std::int64_t id = 1 + pick(kBadges);
      ASSERT_EQ(snap.remove_badge(id), badges.erase(id) > 0);
    }
  }
  ASSERT_EQ(snap.badge_count(), badges.size());
  ASSERT_EQ(snap.person_count(), people.size());
  std::map<std::uint64_t, std::int64_t> by_card;
  for (const auto& [id, b] : badges) by_card[b.card] = id;
  for (std::uint64_t card = 0; card < static_cast<std::uint64_t>(kCards); ++card) {
    Decision d = decide_at(engine, "main-entrance", h10301(30, card), kTuesdayNine);
    auto it = by_card.find(card);
    if (it == by_card.end()) {
      ASSERT_EQ(code(d), "unknown_credential") << card;
      continue;
    }
    const ModelBadge& b = badges[it->second];
    ASSERT_EQ(d.badge_id, it->second) << card;
    ASSERT_EQ(d.person_id, b.person) << card;
    const std::vector<std::string>& groups = people[b.person];
    bool it_member = std::find(groups.begin(), groups.end(), "it") != groups.end();
    std::string expected = it_member ? "granted" : groups.empty() ? "no_access" : "outside_schedule";
    ASSERT_EQ(code(d), expected) << "card " << card << " person " << b.person;
  }
}

TEST(SnapshotMemory, CountsItsRowsAndTables) {
  db::AccessData data;
  for (int i = 1; i <= 1000; ++i) {
    data.people.push_back(person(i, "p", {"staff"}));
    data.badges.push_back(badge(i, i, 40, static_cast<std::uint64_t>(i)));
  }
  Result<Snapshot> snap = Snapshot::build(example_site(), data);
  ASSERT_TRUE(snap.ok());
  // At least the rows themselves (64 + 32 bytes), at most a few times that.
  EXPECT_GE(snap->memory_bytes(), 1000U * (sizeof(BadgeRec) + sizeof(PersonRec)));
  EXPECT_LE(snap->memory_bytes(), 1000U * 400U);
}

}  // namespace
}  // namespace gatehouse::controller::access
