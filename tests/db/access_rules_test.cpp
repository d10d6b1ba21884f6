// The rules the database holds for every writer beyond the badge lifecycle:
// the restricted-area rule, the lockdown row, the NOTIFY every change sends,
// and the site's access settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "db/badge_store.h"
#include "db/lockdown_store.h"
#include "db/people_store.h"
#include "db/site_store.h"
#include "db/visitor_store.h"
#include "tests/db/access_fixture.h"
#include "tests/db/example_site.h"

namespace gatehouse::db {
namespace {

using test_support::access_database;
using test_support::add_badge;
using test_support::add_employee;
using test_support::connect;
using test_support::listen;
using test_support::notifications;
using test_support::query_int;
using test_support::query_text;
using test_support::wall_now;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(AccessSchema, EveryAccessTableExists) {
  auto db = access_database();
  for (const char* table :
       {"people", "person_group_members", "person_changes", "badges", "badge_transitions", "visits",
        "lockdown", "lockdown_changes", "access_events"}) {
    EXPECT_EQ(query_text(db.conn, "SELECT to_regclass($1) IS NOT NULL", {table}), "t") << table;
  }
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM lockdown"), 1);
}

// The site parser refuses such a level; the database refuses it from any writer.
TEST(RestrictedAreas, RawSqlGrantingARestrictedDoorIsRefusedAtCommit) {
  auto db = access_database();
  const std::string expected =
      "access level 'office-hours' grants group 'staff' door 'it-storage-door' into restricted "
      "area 'it-storage' (allowed groups: it)";
  // Autocommit: the deferred check runs at the statement's implicit commit.
  Result<Rows> r =
      db.conn.exec("INSERT INTO access_level_doors VALUES ('office-hours', 'it-storage-door')");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(r.error().message, HasSubstr(expected));

  // In a transaction: the statement passes, COMMIT refuses, nothing stays.
  {
    Result<Transaction> tx = Transaction::begin(db.conn);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(
        db.conn.exec("INSERT INTO access_level_groups VALUES ('it-storage', 'staff')").ok());
    Status s = tx->commit();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
    EXPECT_THAT(s.error().message,
                HasSubstr("access level 'it-storage' grants group 'staff' door 'it-storage-door'"));
  }
  // Restricting an area that levels already reach, and retargeting a door.
  r = db.conn.exec("INSERT INTO area_restricted_groups VALUES ('office', 'it')");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("grants group 'staff' door 'office-door' into "
                                           "restricted area 'office' (allowed groups: it)"));
  r = db.conn.exec("UPDATE doors SET to_area_id = 'it-storage' WHERE id = 'office-door'");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("into restricted area 'it-storage'"));
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM access_level_doors"), 7);
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM area_restricted_groups"), 1);

  // Within one transaction the order of the rewiring does not matter: the
  // level is fixed before COMMIT, so the restriction stands.
  {
    Result<Transaction> tx = Transaction::begin(db.conn);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db.conn.exec("INSERT INTO area_restricted_groups VALUES ('office', 'it')").ok());
    ASSERT_TRUE(db.conn.exec("INSERT INTO area_restricted_groups VALUES ('office', 'staff')").ok());
    // Visitors never enter a restricted area: their level loses the office door.
    ASSERT_TRUE(db.conn
                    .exec("DELETE FROM access_level_doors WHERE access_level_id = 'visitor-hours' "
                          "AND door_id = 'office-door'")
                    .ok());
    EXPECT_TRUE(tx->commit().ok());
  }
  // Removing one allowed group while a level still grants it is refused.
  r = db.conn.exec(
      "DELETE FROM area_restricted_groups WHERE area_id = 'office' AND group_id = 'staff'");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("group 'staff' door 'office-door'"));
}

TEST(RestrictedAreas, ApplyingASiteThatBreaksTheRuleFailsWhole) {
  auto db = access_database();
  site::Site bad = test_support::example_site();
  bad.access_levels[0].doors.push_back("it-storage-door");  // office-hours, group staff
  bad.name = "renamed";
  Result<ApplyReport> r = apply_site(db.conn, bad, "cli:test", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(r.error().message, HasSubstr("grants group 'staff' door 'it-storage-door'"));
  EXPECT_EQ(query_text(db.conn, "SELECT name FROM site"), "Newcastle office");
}

TEST(Lockdown, StartChangeAndLiftAreRecorded) {
  auto db = access_database();
  Result<LockdownRow> initial = load_lockdown(db.conn);
  ASSERT_TRUE(initial.ok());
  EXPECT_FALSE(initial->active);

  Result<LockdownRow> started = start_lockdown(db.conn, "it", "guard:gil");
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_TRUE(started->active);
  EXPECT_EQ(started->allowed_group, "it");
  EXPECT_EQ(started->operator_name, "guard:gil");
  Result<LockdownRow> changed = start_lockdown(db.conn, "", "guard:hal");
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->active);
  EXPECT_EQ(changed->allowed_group, "") << "nobody passes";
  EXPECT_EQ(changed->since, started->since) << "still the same lockdown";
  Result<LockdownRow> unknown = start_lockdown(db.conn, "cleaners", "guard:hal");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);

  Result<LockdownRow> lifted = lift_lockdown(db.conn, "guard:ida");
  ASSERT_TRUE(lifted.ok());
  EXPECT_FALSE(lifted->active);
  EXPECT_EQ(lifted->operator_name, "guard:ida");
  Result<LockdownRow> again = lift_lockdown(db.conn, "guard:ida");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(query_text(db.conn,
                       "SELECT string_agg(operator || ':' || active || ':' || "
                       "coalesce(allowed_group_id, '-'), ' ' ORDER BY id) "
                       "FROM lockdown_changes"),
            "guard:gil:true:it guard:hal:true:- guard:ida:false:-");

  // The allowed group leaving the site file leaves nobody allowed.
  ASSERT_TRUE(start_lockdown(db.conn, "staff", "guard:gil").ok());
  site::Site s = test_support::example_site();
  s.groups.erase(s.groups.begin());                // staff
  s.access_levels.erase(s.access_levels.begin());  // office-hours, which granted it
  ASSERT_TRUE(apply_site(db.conn, s, "cli:test", "").ok());
  Result<LockdownRow> after = load_lockdown(db.conn);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->active);
  EXPECT_EQ(after->allowed_group, "");
}

// Each kind of change reaches a listening controller, at commit and not
// before, whoever writes it.
TEST(Notify, EveryKindOfChangeIsDeliveredAtCommit) {
  auto db = access_database();
  Connection listener = connect(db.conninfo);
  listen(listener);
  using Payloads = std::vector<std::string>;

  const std::int64_t ann = add_employee(db.conn, "E1", "Ann Archer", {"staff"});
  const std::string person = "person:" + std::to_string(ann);
  EXPECT_THAT(notifications(listener), Contains(person)) << "import";

  ASSERT_TRUE(add_person_to_group(db.conn, "E1", "it", "alice").ok());
  EXPECT_EQ(notifications(listener), Payloads{person}) << "membership";

  // Raw SQL, inside a transaction: nothing until COMMIT.
  ASSERT_TRUE(db.conn.exec("BEGIN").ok());
  ASSERT_TRUE(db.conn
                  .exec("UPDATE people SET email = 'ann@example.com' WHERE id = $1::bigint",
                        {std::to_string(ann)})
                  .ok());
  EXPECT_THAT(notifications(listener, std::chrono::milliseconds(300)), IsEmpty());
  ASSERT_TRUE(db.conn.exec("COMMIT").ok());
  EXPECT_EQ(notifications(listener), Payloads{person}) << "raw update";

  // An update that changes nothing sends nothing.
  ASSERT_TRUE(db.conn.exec("UPDATE people SET name = name").ok());
  EXPECT_THAT(notifications(listener, std::chrono::milliseconds(300)), IsEmpty());

  const std::int64_t badge = add_badge(db.conn, "E1", "26:000300");  // issue + activate
  const std::string badge_payload = "badge:" + std::to_string(badge);
  EXPECT_THAT(notifications(listener), Contains(badge_payload));
  ASSERT_TRUE(
      transition_badge(db.conn, badge, BadgeAction::kSuspend, "a", "lost", wall_now()).ok());
  EXPECT_EQ(notifications(listener), Payloads{badge_payload}) << "transition";
  ASSERT_TRUE(
      record_pin_result(db.conn, badge, false, 5, std::chrono::minutes(15), wall_now()).ok());
  EXPECT_EQ(notifications(listener), Payloads{badge_payload}) << "PIN failure";

  // last_used_at alone is written after every grant and is not a decision input.
  ASSERT_TRUE(touch_last_used(db.conn, {badge}, wall_now()).ok());
  EXPECT_THAT(notifications(listener, std::chrono::milliseconds(300)), IsEmpty());

  ASSERT_TRUE(start_lockdown(db.conn, "it", "guard").ok());
  EXPECT_EQ(notifications(listener), Payloads{"lockdown"});
  ASSERT_TRUE(lift_lockdown(db.conn, "guard").ok());
  EXPECT_EQ(notifications(listener), Payloads{"lockdown"});

  site::Site s = test_support::example_site();
  s.name = "Renamed office";
  ASSERT_TRUE(apply_site(db.conn, s, "cli:test", "").ok());
  EXPECT_EQ(notifications(listener), Payloads{"site"});

  // A group leaving the site file takes its memberships: each member hears.
  s.groups.erase(s.groups.begin());
  s.access_levels.erase(s.access_levels.begin());
  ASSERT_TRUE(apply_site(db.conn, s, "cli:test", "").ok());
  Payloads both = notifications(listener);
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (Payloads{person, "site"}));

  // Visitor check-in: the visitor (host set) and the new pass.
  const WallTime t = wall_now();
  Result<RegisteredVisit> v =
      register_visit(db.conn, "Vera", "", "E1", t, test_support::plus_days(t, 1), "reception");
  ASSERT_TRUE(v.ok());
  const std::string visitor = "person:" + std::to_string(v->visitor_person_id);
  EXPECT_EQ(notifications(listener), Payloads{visitor});
  Result<std::int64_t> pass = check_in(db.conn, v->visit_id, "26:0V0300", "h10301", std::nullopt,
                                       std::nullopt, "reception", t);
  ASSERT_TRUE(pass.ok()) << pass.error().to_string();
  EXPECT_EQ(notifications(listener), Payloads{"badge:" + std::to_string(*pass)});
}

TEST(SiteAccessSettings, AreStoredLoadedAndIdempotent) {
  auto db = access_database();
  Result<site::Site> loaded = load_site(db.conn);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, canonical_site(test_support::example_site()));

  site::Site s = test_support::example_site();
  s.suspend_unused_days = 30;
  s.pin_attempts = 3;
  s.pin_lockout_minutes = 60;
  s.doors[0].visitor_escort = !s.doors[0].visitor_escort;
  Result<ApplyReport> r = apply_site(db.conn, s, "cli:test", "");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->inserted, 0);
  EXPECT_EQ(r->updated, 2) << "the site row and one door";
  EXPECT_EQ(r->deleted, 0);
  loaded = load_site(db.conn);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, canonical_site(s));
  Result<ApplyReport> again = apply_site(db.conn, s, "cli:test", "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());

  // The columns hold the parser's limits for any writer.
  for (const char* sql : {"UPDATE site SET pin_attempts = 21", "UPDATE site SET pin_attempts = 0",
                          "UPDATE site SET pin_lockout_minutes = 1441",
                          "UPDATE site SET suspend_unused_badges_after_days = -1",
                          "UPDATE site SET suspend_unused_badges_after_days = 3651"}) {
    Result<Rows> bad = db.conn.exec(sql);
    ASSERT_FALSE(bad.ok()) << sql;
    EXPECT_EQ(bad.error().kind, ErrorKind::kConflict) << sql;
  }
}

}  // namespace
}  // namespace gatehouse::db
