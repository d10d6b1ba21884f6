// Visits: register, check in (a pass active at once until the window ends),
// check out (the pass revoked at once), who is on site, and the refusals.
#include "db/visitor_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "db/badge_store.h"
#include "db/people_store.h"
#include "tests/db/access_fixture.h"

namespace gatehouse::db {
namespace {

using test_support::access_database;
using test_support::add_employee;
using test_support::plus_minutes;
using test_support::query_int;
using test_support::query_text;
using test_support::wall_now;
using ::testing::HasSubstr;

// 2026-07-01T12:00:00Z, a summer day: Europe/London is UTC+1.
constexpr WallTime kNoon{1'782'907'200'000'000};

TEST(Visits, RegisterCheckInAndOutIssueAndRevokeThePass) {
  auto db = access_database();
  const std::int64_t host = add_employee(db.conn, "E1", "Hana Host", {"staff"});
  const WallTime start = plus_minutes(kNoon, 60);
  const WallTime end = plus_minutes(kNoon, 240);
  Result<RegisteredVisit> v =
      register_visit(db.conn, "Vera Visitor", "", "E1", start, end, "reception:amy");
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->visitor_ref, "V-" + std::to_string(v->visitor_person_id));
  Result<std::optional<PersonRow>> visitor = load_person(db.conn, v->visitor_person_id);
  ASSERT_TRUE(visitor.ok() && visitor->has_value());
  EXPECT_EQ((*visitor)->kind, PersonKind::kVisitor);
  EXPECT_EQ((*visitor)->host_person_id, host);
  EXPECT_TRUE((*visitor)->groups.empty());

  // Early arrival: the pass works from now, not from the window start.
  const WallTime arrival = plus_minutes(kNoon, 50);
  Result<std::int64_t> badge =
      check_in(db.conn, v->visit_id, "26:0V0001", "h10301", 1, 9001, "reception:amy", arrival);
  ASSERT_TRUE(badge.ok()) << badge.error().to_string();
  Result<std::optional<BadgeRow>> pass = load_badge(db.conn, *badge);
  ASSERT_TRUE(pass.ok() && pass->has_value());
  EXPECT_EQ((*pass)->state, BadgeState::kActive);
  EXPECT_TRUE((*pass)->visitor_pass);
  EXPECT_EQ((*pass)->person_id, v->visitor_person_id);
  EXPECT_EQ((*pass)->valid_from, arrival);
  EXPECT_EQ((*pass)->valid_until, end);
  Result<std::vector<BadgeTransition>> h = badge_history(db.conn, *badge);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].to, BadgeState::kIssued);
  EXPECT_EQ((*h)[0].reason,
            "visitor pass issued at check-in of visit " + std::to_string(v->visit_id));
  EXPECT_EQ((*h)[1].to, BadgeState::kActive);
  EXPECT_EQ((*h)[1].operator_name, "reception:amy");
  EXPECT_EQ((*h)[1].at, arrival);

  Result<std::vector<VisitInfo>> on_site = list_visits(db.conn, VisitFilter::kOnSiteNow, arrival);
  ASSERT_TRUE(on_site.ok()) << on_site.error().to_string();
  ASSERT_EQ(on_site->size(), 1u);
  const VisitInfo& info = (*on_site)[0];
  EXPECT_EQ(info.visitor_name, "Vera Visitor");
  EXPECT_EQ(info.host_external_id, "E1");
  EXPECT_EQ(info.host_name, "Hana Host");
  EXPECT_EQ(info.window_start, start);
  EXPECT_EQ(info.checked_in_at, arrival);
  EXPECT_EQ(info.checked_in_by, "reception:amy");
  EXPECT_EQ(info.badge_id, *badge);
  EXPECT_EQ(info.registered_by, "reception:amy");

  Result<std::int64_t> twice =
      check_in(db.conn, v->visit_id, "26:0V0002", "h10301", 1, 9002, "reception:amy", arrival);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(twice.error().message, HasSubstr("was already checked in"));

  const WallTime leaving = plus_minutes(kNoon, 180);
  ASSERT_TRUE(check_out(db.conn, v->visit_id, "reception:bo", leaving).ok());
  pass = load_badge(db.conn, *badge);
  EXPECT_EQ((*pass)->state, BadgeState::kRevoked) << "revoked at once, not at window end";
  h = badge_history(db.conn, *badge);
  EXPECT_EQ(h->back().to, BadgeState::kRevoked);
  EXPECT_EQ(h->back().operator_name, "reception:bo");
  EXPECT_EQ(h->back().at, leaving);
  on_site = list_visits(db.conn, VisitFilter::kOnSiteNow, leaving);
  ASSERT_TRUE(on_site.ok());
  EXPECT_TRUE(on_site->empty());
  Result<std::vector<VisitInfo>> all = list_visits(db.conn, VisitFilter::kAll, leaving);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].checked_out_at, leaving);
  EXPECT_EQ((*all)[0].checked_out_by, "reception:bo");

  Status again = check_out(db.conn, v->visit_id, "reception:bo", leaving);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message, HasSubstr("was already checked out"));

  // The returned card's number can never be issued again.
  Result<RegisteredVisit> next =
      register_visit(db.conn, "Vera Visitor", v->visitor_ref, "E1", start, end, "reception:amy");
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->visitor_person_id, v->visitor_person_id) << "a returning visitor";
  Result<std::int64_t> reuse =
      check_in(db.conn, next->visit_id, "26:0V0001", "h10301", 1, 9001, "reception:amy", arrival);
  ASSERT_FALSE(reuse.ok());
  EXPECT_EQ(reuse.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(reuse.error().message, HasSubstr("a credential is never reused"));
  EXPECT_EQ(query_text(db.conn, "SELECT checked_in_at IS NULL FROM visits WHERE id = $1::bigint",
                       {std::to_string(next->visit_id)}),
            "t");
}

TEST(Visits, AVisitWhoseWindowHasEndedCannotBeCheckedIn) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Hana Host", {});
  Result<RegisteredVisit> v =
      register_visit(db.conn, "Late Larry", "", "E1", kNoon, plus_minutes(kNoon, 60), "reception");
  ASSERT_TRUE(v.ok());
  const std::int64_t badges = query_int(db.conn, "SELECT count(*) FROM badges");
  for (int after : {60, 61, 24 * 60}) {
    Result<std::int64_t> r = check_in(db.conn, v->visit_id, "26:0V0100", "h10301", std::nullopt,
                                      std::nullopt, "reception", plus_minutes(kNoon, after));
    ASSERT_FALSE(r.ok()) << after;
    EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
    EXPECT_EQ(r.error().message, "visit " + std::to_string(v->visit_id) +
                                     "'s window ended at 2026-07-01T13:00:00.000000Z; register a "
                                     "new visit");
  }
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badges"), badges);
  Result<std::int64_t> in_time = check_in(db.conn, v->visit_id, "26:0V0100", "h10301", std::nullopt,
                                          std::nullopt, "reception", plus_minutes(kNoon, 59));
  EXPECT_TRUE(in_time.ok()) << in_time.error().to_string();
}

TEST(Visits, HostMustBeAnActiveEmployeeAndRefusalsAreClear) {
  auto db = access_database();
  ASSERT_TRUE(import_people(db.conn,
                            {{2, "E1", "Hana Host", "", "", "", {}},
                             {3, "C1", "Cy Contractor", "contractor", "", "", {}},
                             {4, "E9", "Gone Gary", "", "terminated", "", {}}},
                            "hr")
                  .ok());
  const WallTime end = plus_minutes(kNoon, 60);
  Result<RegisteredVisit> r = register_visit(db.conn, "V", "", "E404", kNoon, end, "reception");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  r = register_visit(db.conn, "V", "", "C1", kNoon, end, "reception");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().message,
      "host 'C1' (Cy Contractor) is a contractor; a visitor's host must be an active employee");
  r = register_visit(db.conn, "V", "", "E9", kNoon, end, "reception");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("is terminated"));
  r = register_visit(db.conn, "V", "E1", "E1", kNoon, end, "reception");
  ASSERT_FALSE(r.ok()) << "an employee's id is not a visitor reference";
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  r = register_visit(db.conn, "V", "", "E1", end, kNoon, "reception");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM visits"), 0);

  // A host terminated after registration blocks the check-in.
  r = register_visit(db.conn, "Vic", "VIS-1", "E1", kNoon, end, "reception");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->visitor_ref, "VIS-1");
  ASSERT_TRUE(
      import_people(db.conn, {{2, "E1", "Hana Host", "", "terminated", "", {}}}, "hr").ok());
  Result<std::int64_t> in = check_in(db.conn, r->visit_id, "26:0V0200", "h10301", std::nullopt,
                                     std::nullopt, "reception", kNoon);
  ASSERT_FALSE(in.ok());
  EXPECT_THAT(in.error().message,
              HasSubstr("host 'E1' (Hana Host) is no longer an active employee"));
  Status out = check_out(db.conn, r->visit_id, "reception", kNoon);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.error().message, HasSubstr("was never checked in"));
  Result<std::int64_t> missing =
      check_in(db.conn, 999, "26:1", "h10301", std::nullopt, std::nullopt, "r", kNoon);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

// "Today" is the site's local day (Europe/London, BST in July): it starts
// at 23:00 UTC the evening before.
TEST(Visits, TodayIsTheSitesLocalDay) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Hana Host", {});
  auto visit = [&db](const char* name, WallTime from, WallTime to) {
    Result<RegisteredVisit> r = register_visit(db.conn, name, "", "E1", from, to, "reception");
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? r->visit_id : 0;
  };
  const std::int64_t late_night =
      visit("Overlaps local midnight", plus_minutes(kNoon, -12 * 60 - 30),
            plus_minutes(kNoon, -11 * 60 - 30));  // 23:30Z..00:30Z
  visit("Yesterday evening (local)", plus_minutes(kNoon, -15 * 60),
        plus_minutes(kNoon, -13 * 60 - 30));  // 21:00Z..22:30Z on June 30
  const std::int64_t afternoon =
      visit("This afternoon", plus_minutes(kNoon, 60), plus_minutes(kNoon, 120));
  visit("Tomorrow", plus_minutes(kNoon, 24 * 60), plus_minutes(kNoon, 25 * 60));
  Result<std::vector<VisitInfo>> today = list_visits(db.conn, VisitFilter::kToday, kNoon);
  ASSERT_TRUE(today.ok()) << today.error().to_string();
  ASSERT_EQ(today->size(), 2u);
  EXPECT_EQ((*today)[0].id, late_night);
  EXPECT_EQ((*today)[1].id, afternoon);
  Result<std::vector<VisitInfo>> all = list_visits(db.conn, VisitFilter::kAll, kNoon);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
}

}  // namespace
}  // namespace gatehouse::db
