// What the decision engine loads (db/access_data.h) and the access events it
// writes: round trips, one-snapshot loads, and a load of 100,000 badges.
#include "db/access_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "db/badge_store.h"
#include "db/event_store.h"
#include "db/lockdown_store.h"
#include "db/people_store.h"
#include "db/visitor_store.h"
#include "tests/db/access_fixture.h"

namespace gatehouse::db {
namespace {

using test_support::access_database;
using test_support::add_badge;
using test_support::add_employee;
using test_support::query_int;
using test_support::wall_now;
using ::testing::HasSubstr;

TEST(AccessData, LoadRoundTripsPeopleGroupsBadgesAndLockdown) {
  auto db = access_database();
  Result<AccessData> empty = load_access_data(db.conn);
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_TRUE(empty->people.empty());
  EXPECT_TRUE(empty->badges.empty());
  EXPECT_FALSE(empty->lockdown.active);

  const std::int64_t ann = add_employee(db.conn, "E1", "Ann Archer", {"staff", "it"});
  ASSERT_TRUE(
      import_people(db.conn, {{3, "C1", "Cy", "contractor", "terminated", "", {"staff"}}}, "hr")
          .ok());
  const WallTime t = wall_now();
  const WallTime until = test_support::plus_days(t, 30);
  Result<std::int64_t> b1 =
      issue_badge(db.conn, "E1", "26:1204D2", "h10301", 18, 1234, t, until, "alice", "new starter");
  ASSERT_TRUE(b1.ok()) << b1.error().to_string();
  ASSERT_TRUE(
      transition_badge(db.conn, *b1, BadgeAction::kActivate, "alice", "handed over", t).ok());
  ASSERT_TRUE(set_pin_hash(db.conn, *b1, "$argon2id$hash", "alice").ok());
  ASSERT_TRUE(record_pin_result(db.conn, *b1, false, 5, std::chrono::minutes(15), t).ok());
  ASSERT_TRUE(touch_last_used(db.conn, {*b1}, t).ok());
  const std::int64_t b2 = add_badge(db.conn, "E1", "37:0000000ABC", false);
  Result<RegisteredVisit> v = register_visit(db.conn, "Vera", "", "E1", t, until, "reception");
  ASSERT_TRUE(v.ok());
  Result<std::int64_t> pass = check_in(db.conn, v->visit_id, "26:0V0001", "h10301", std::nullopt,
                                       std::nullopt, "reception", t);
  ASSERT_TRUE(pass.ok());
  ASSERT_TRUE(start_lockdown(db.conn, "it", "guard:gil").ok());

  Result<AccessData> data = load_access_data(db.conn);
  ASSERT_TRUE(data.ok()) << data.error().to_string();
  ASSERT_EQ(data->people.size(), 3u);
  const PersonRow& p0 = data->people[0];
  EXPECT_EQ(p0.id, ann);
  EXPECT_EQ(p0.external_id, "E1");
  EXPECT_EQ(p0.name, "Ann Archer");
  EXPECT_EQ(p0.kind, PersonKind::kEmployee);
  EXPECT_TRUE(p0.active);
  EXPECT_EQ(p0.groups, (std::vector<std::string>{"it", "staff"}));
  EXPECT_FALSE(p0.host_person_id.has_value());
  const PersonRow& p1 = data->people[1];
  EXPECT_EQ(p1.kind, PersonKind::kContractor);
  EXPECT_FALSE(p1.active);
  EXPECT_EQ(p1.groups, std::vector<std::string>{"staff"});
  const PersonRow& p2 = data->people[2];
  EXPECT_EQ(p2.kind, PersonKind::kVisitor);
  EXPECT_EQ(p2.host_person_id, ann);
  EXPECT_TRUE(p2.groups.empty());

  ASSERT_EQ(data->badges.size(), 3u);
  const BadgeRow& a = data->badges[0];
  EXPECT_EQ(a.id, *b1);
  EXPECT_EQ(a.person_id, ann);
  EXPECT_EQ(a.credential, "26:1204D2");
  EXPECT_EQ(a.state, BadgeState::kActive);
  EXPECT_EQ(a.valid_from, t);
  EXPECT_EQ(a.valid_until, until);
  EXPECT_EQ(a.pin_hash, "$argon2id$hash");
  EXPECT_EQ(a.pin_failures, 1);
  EXPECT_FALSE(a.pin_locked_until.has_value());
  EXPECT_EQ(a.last_used_at, t);
  EXPECT_FALSE(a.visitor_pass);
  EXPECT_EQ(data->badges[1].id, b2);
  EXPECT_EQ(data->badges[1].state, BadgeState::kIssued);
  EXPECT_EQ(data->badges[1].pin_hash, "");
  EXPECT_FALSE(data->badges[1].valid_from.has_value());
  EXPECT_TRUE(data->badges[2].visitor_pass);
  EXPECT_EQ(data->badges[2].person_id, v->visitor_person_id);

  EXPECT_TRUE(data->lockdown.active);
  EXPECT_EQ(data->lockdown.allowed_group, "it");
  EXPECT_EQ(data->lockdown.operator_name, "guard:gil");
  EXPECT_GT(data->lockdown.since.us, 0);

  // The single-row reloads agree with the full load.
  Result<std::optional<PersonRow>> one = load_person(db.conn, ann);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->groups, p0.groups);
  EXPECT_EQ((*one)->name, p0.name);
  Result<std::optional<BadgeRow>> badge = load_badge(db.conn, *b1);
  ASSERT_TRUE(badge.ok() && badge->has_value());
  EXPECT_EQ((*badge)->credential, a.credential);
  EXPECT_EQ((*badge)->last_used_at, a.last_used_at);
  Result<std::optional<PersonRow>> gone = load_person(db.conn, 987654);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  Result<std::optional<BadgeRow>> no_badge = load_badge(db.conn, 987654);
  ASSERT_TRUE(no_badge.ok());
  EXPECT_FALSE(no_badge->has_value());
  EXPECT_EQ(to_string(PersonKind::kContractor), "contractor");
  EXPECT_EQ(to_string(BadgeState::kSuspended), "suspended");
}

// Bulk rows by SQL (through the lifecycle trigger like any writer), then one
// load: correct and complete, batch boundaries included.
TEST(AccessData, LoadsOneHundredThousandBadges) {
  auto db = access_database();
  constexpr int kPeople = 50'000;
  constexpr int kBadges = 100'000;
  ASSERT_TRUE(db.conn.exec("BEGIN").ok());
  ASSERT_TRUE(db.conn
                  .exec("SELECT set_config('gatehouse.operator', 'bulk', true), "
                        "set_config('gatehouse.reason', 'load test', true)")
                  .ok());
  Result<Rows> people = db.conn.exec(
      "INSERT INTO people (external_id, name, kind) "
      "SELECT 'E' || n, 'Person ' || n, 'employee' FROM generate_series(1, $1::integer) n",
      {std::to_string(kPeople)});
  ASSERT_TRUE(people.ok()) << people.error().to_string();
  ASSERT_TRUE(db.conn
                  .exec("INSERT INTO person_group_members SELECT id, 'staff' FROM people "
                        "WHERE id % 2 = 0")
                  .ok());
  Result<Rows> badges = db.conn.exec(
      "INSERT INTO badges (person_id, credential, format, card_number) "
      "SELECT p.id, '26:' || lpad(to_hex(n), 6, '0'), 'h10301', n "
      "FROM generate_series(1, $1::integer) n JOIN people p ON p.external_id = 'E' || ((n - 1) % "
      "$2::integer + 1)",
      {std::to_string(kBadges), std::to_string(kPeople)});
  ASSERT_TRUE(badges.ok()) << badges.error().to_string();
  ASSERT_TRUE(db.conn.exec("UPDATE badges SET state = 'active' WHERE id % 3 = 0").ok());
  ASSERT_TRUE(db.conn.exec("COMMIT").ok());

  const auto started = std::chrono::steady_clock::now();
  Result<AccessData> data = load_access_data(db.conn);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(data.ok()) << data.error().to_string();
  std::printf(
      "loaded %zu people, %zu badges in %lld ms\n", data->people.size(), data->badges.size(),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  ASSERT_EQ(data->people.size(), static_cast<std::size_t>(kPeople));
  ASSERT_EQ(data->badges.size(), static_cast<std::size_t>(kBadges));
  int active = 0;
  for (std::size_t i = 1; i < data->badges.size(); ++i) {
    ASSERT_LT(data->badges[i - 1].id, data->badges[i].id) << "ordered by id";
  }
  for (const BadgeRow& b : data->badges) active += b.state == BadgeState::kActive ? 1 : 0;
  EXPECT_EQ(active, query_int(db.conn, "SELECT count(*) FROM badges WHERE state = 'active'"));
  int members = 0;
  for (const PersonRow& p : data->people) {
    members += static_cast<int>(p.groups.size());
    if (p.id % 2 == 0) {
      ASSERT_EQ(p.groups, std::vector<std::string>{"staff"}) << p.id;
    } else {
      ASSERT_TRUE(p.groups.empty()) << p.id;
    }
  }
  EXPECT_EQ(members, kPeople / 2);
  const BadgeRow& last = data->badges.back();
  EXPECT_EQ(last.credential, "26:0186a0");  // 100000 in hex
  Result<std::optional<BadgeInfo>> info = find_badge_by_credential(db.conn, last.credential);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->id, last.id);
  EXPECT_EQ((*info)->person_id, last.person_id);
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badge_transitions"), kBadges + kBadges / 3)
      << "every bulk change recorded";
}

AccessEventRow event(WallTime at, std::string door, std::optional<std::int64_t> person,
                     bool granted, std::string reason) {
  AccessEventRow e;
  e.occurred_at = at;
  e.door_id = std::move(door);
  e.reader_id = "r-" + e.door_id;
  e.person_id = person;
  e.badge_id = person ? std::optional<std::int64_t>(*person + 100) : std::nullopt;
  e.credential = person ? std::optional<std::string>("26:00000" + std::to_string(*person))
                        : std::optional<std::string>("26:FFFFFF");
  e.granted = granted;
  e.reason = std::move(reason);
  return e;
}

TEST(AccessEvents, InsertAndQueryRoundTrip) {
  auto db = access_database();
  const WallTime t{1'782'907'200'123'456};  // µs precision survives
  std::vector<AccessEventRow> batch = {
      event(t, "main-entrance", 1, true, "granted"),
      event(WallTime{t.us + 1}, "main-entrance", 2, false, "outside_schedule"),
      event(WallTime{t.us + 2}, "office-door", 1, true, "granted_passback_logged"),
      event(WallTime{t.us + 3}, "office-door", std::nullopt, false, "unknown_credential"),
  };
  batch[3].raw_bits = "10011010000000000000000001";
  batch[0].event_key = "journal-a:1";
  ASSERT_TRUE(insert_access_events(db.conn, batch).ok());

  AccessEventFilter all;
  Result<std::vector<AccessEventRow>> got = query_access_events(db.conn, all);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    AccessEventRow stored = (*got)[3 - i];  // newest first
    EXPECT_GT(stored.id, 0);
    EXPECT_GT(stored.recorded_at.us, 0);
    stored.id = 0;
    stored.recorded_at = WallTime{};
    EXPECT_EQ(stored, batch[i]) << i;
  }

  AccessEventFilter door;
  door.door_id = "office-door";
  got = query_access_events(db.conn, door);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].reason, "unknown_credential");
  AccessEventFilter person;
  person.person_id = 1;
  person.from = WallTime{t.us + 1};
  person.to = WallTime{t.us + 3};
  got = query_access_events(db.conn, person);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].door_id, "office-door");
  AccessEventFilter limited;
  limited.limit = 1;
  got = query_access_events(db.conn, limited);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].occurred_at, WallTime{t.us + 3});
  limited.limit = 0;
  EXPECT_FALSE(query_access_events(db.conn, limited).ok());

  // A replayed batch (same keys) inserts only what is new.
  AccessEventRow replay = batch[0];
  AccessEventRow fresh = event(WallTime{t.us + 10}, "main-entrance", 3, true, "granted");
  fresh.event_key = "journal-a:2";
  ASSERT_TRUE(insert_access_events(db.conn, {replay, fresh}).ok());
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM access_events"), 5);
  EXPECT_TRUE(insert_access_events(db.conn, {}).ok());
}

TEST(AccessEvents, ABadEventRefusesItsWholeBatch) {
  auto db = access_database();
  const WallTime t = wall_now();
  Status s = insert_access_events(db.conn, {event(t, "main-entrance", 1, true, "granted"),
                                            event(t, "main-entrance", 1, false, "because")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(s.error().message, HasSubstr("access_events_reason_check"));
  s = insert_access_events(db.conn, {event(t, "main-entrance", 1, true, "no_access")});
  ASSERT_FALSE(s.ok()) << "granted must agree with the reason";
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM access_events"), 0);
}

}  // namespace
}  // namespace gatehouse::db
