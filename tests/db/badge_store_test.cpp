// The badge lifecycle: the C++ state machine, the store's transitions and
// refusals, the database trigger that holds raw SQL to the same rules, the
// record of who did what, PINs, use, and automatic suspension.
#include "db/badge_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "db/badge_lifecycle.h"
#include "db/people_store.h"
#include "tests/db/access_fixture.h"

namespace gatehouse::db {
namespace {

using test_support::access_database;
using test_support::add_badge;
using test_support::add_employee;
using test_support::query_int;
using test_support::query_text;
using test_support::wall_now;
using ::testing::HasSubstr;

constexpr BadgeState kIssued = BadgeState::kIssued;
constexpr BadgeState kActive = BadgeState::kActive;
constexpr BadgeState kSuspended = BadgeState::kSuspended;
constexpr BadgeState kRevoked = BadgeState::kRevoked;

TEST(BadgeLifecycle, TransitionTableIsExactlyTheDocumentedOne) {
  const std::map<std::pair<BadgeState, BadgeAction>, BadgeState> allowed = {
      {{kIssued, BadgeAction::kActivate}, kActive},
      {{kActive, BadgeAction::kSuspend}, kSuspended},
      {{kSuspended, BadgeAction::kReinstate}, kActive},
      {{kIssued, BadgeAction::kRevoke}, kRevoked},
      {{kActive, BadgeAction::kRevoke}, kRevoked},
      {{kSuspended, BadgeAction::kRevoke}, kRevoked},
  };
  int refused = 0;
  for (BadgeState from : {kIssued, kActive, kSuspended, kRevoked}) {
    for (BadgeAction action : {BadgeAction::kActivate, BadgeAction::kSuspend,
                               BadgeAction::kReinstate, BadgeAction::kRevoke}) {
      auto it = allowed.find({from, action});
      std::optional<BadgeState> to = next_state(from, action);
      if (it == allowed.end()) {
        EXPECT_FALSE(to.has_value()) << to_string(from) << " " << to_string(action);
        const std::string why = describe_refusal(9, from, action);
        EXPECT_THAT(why, HasSubstr("badge 9 is ")) << why;
        EXPECT_THAT(why, ::testing::Not(HasSubstr("nothing was refused"))) << why;
        ++refused;
      } else {
        ASSERT_TRUE(to.has_value()) << to_string(from) << " " << to_string(action);
        EXPECT_EQ(*to, it->second);
      }
    }
  }
  EXPECT_EQ(refused, 10);
}

TEST(BadgeLifecycle, NamesRoundTripAndRefusalsSayWhatToDo) {
  for (BadgeState s : {kIssued, kActive, kSuspended, kRevoked}) {
    EXPECT_EQ(parse_badge_state(to_string(s)), s);
  }
  for (BadgeAction a : {BadgeAction::kActivate, BadgeAction::kSuspend, BadgeAction::kReinstate,
                        BadgeAction::kRevoke}) {
    EXPECT_EQ(parse_badge_action(to_string(a)), a);
  }
  EXPECT_FALSE(parse_badge_state("Active").has_value());
  EXPECT_FALSE(parse_badge_action("delete").has_value());
  EXPECT_EQ(describe_refusal(17, kRevoked, BadgeAction::kReinstate),
            "badge 17 is revoked; a revoked badge cannot be reactivated: issue a new badge");
  EXPECT_EQ(describe_refusal(17, kRevoked, BadgeAction::kActivate),
            "badge 17 is revoked; a revoked badge cannot be reactivated: issue a new badge");
  EXPECT_EQ(describe_refusal(4, kSuspended, BadgeAction::kSuspend), "badge 4 is already suspended");
  EXPECT_THAT(describe_refusal(4, kIssued, BadgeAction::kSuspend),
              HasSubstr("never activated, so it cannot be suspended: activate it, or revoke it"));
}

// Every allowed transition through the store, each recorded with operator,
// time and reason, in order, the issue included.
TEST(BadgeStore, EveryAllowedTransitionIsAppliedAndRecorded) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {"staff"});
  Result<std::int64_t> id = issue_badge(db.conn, "E1", "26:000001", "h10301", 12, 1, std::nullopt,
                                        std::nullopt, "alice", "new starter");
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  const WallTime t0 = wall_now();
  struct Step {
    BadgeAction action;
    BadgeState to;
    const char* who;
    const char* why;
    int minutes;
  };
  const Step steps[] = {
      {BadgeAction::kActivate, kActive, "alice", "handed over", 1},
      {BadgeAction::kSuspend, kSuspended, "bob", "reported lost", 2},
      {BadgeAction::kReinstate, kActive, "carol", "found in the car park", 3},
      {BadgeAction::kRevoke, kRevoked, "dave", "left the company", 4},
  };
  for (const Step& s : steps) {
    Result<BadgeState> to = transition_badge(db.conn, *id, s.action, s.who, s.why,
                                             test_support::plus_minutes(t0, s.minutes));
    ASSERT_TRUE(to.ok()) << to.error().to_string();
    EXPECT_EQ(*to, s.to);
  }
  Result<std::vector<BadgeTransition>> history = badge_history(db.conn, *id);
  ASSERT_TRUE(history.ok()) << history.error().to_string();
  ASSERT_EQ(history->size(), 5u);
  const BadgeTransition& issue = (*history)[0];
  EXPECT_FALSE(issue.from.has_value());
  EXPECT_EQ(issue.to, kIssued);
  EXPECT_EQ(issue.operator_name, "alice");
  EXPECT_EQ(issue.reason, "new starter");
  EXPECT_LT(std::abs(issue.at.us - t0.us), 60'000'000) << "issue time is the server's now()";
  BadgeState from = kIssued;
  for (std::size_t i = 0; i < 4; ++i) {
    const BadgeTransition& t = (*history)[i + 1];
    EXPECT_EQ(t.from, from);
    EXPECT_EQ(t.to, steps[i].to);
    EXPECT_EQ(t.operator_name, steps[i].who);
    EXPECT_EQ(t.reason, steps[i].why);
    EXPECT_EQ(t.at, test_support::plus_minutes(t0, steps[i].minutes)) << "exact µs";
    from = t.to;
  }
  Result<std::optional<BadgeInfo>> found = find_badge_by_credential(db.conn, "26:000001");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->state, kRevoked);
  EXPECT_EQ((*found)->person_external_id, "E1");
}

TEST(BadgeStore, IssuedBadgeCanBeRevokedWithoutEverBeingActive) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  const std::int64_t id = add_badge(db.conn, "E1", "26:000002", /*activate=*/false);
  Result<BadgeState> r =
      transition_badge(db.conn, id, BadgeAction::kRevoke, "alice", "printed wrongly", wall_now());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, kRevoked);
}

TEST(BadgeStore, RefusedTransitionsChangeNothingAndSayWhy) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  const std::int64_t issued = add_badge(db.conn, "E1", "26:000010", false);
  const std::int64_t suspended = add_badge(db.conn, "E1", "26:000011");
  ASSERT_TRUE(
      transition_badge(db.conn, suspended, BadgeAction::kSuspend, "bob", "lost", wall_now()).ok());
  const std::int64_t revoked = add_badge(db.conn, "E1", "26:000012");
  ASSERT_TRUE(
      transition_badge(db.conn, revoked, BadgeAction::kRevoke, "bob", "lost", wall_now()).ok());
  const std::int64_t transitions = query_int(db.conn, "SELECT count(*) FROM badge_transitions");

  struct Case {
    std::int64_t badge;
    BadgeAction action;
    const char* message;
  };
  const std::string rev = std::to_string(revoked);
  const Case cases[] = {
      {revoked, BadgeAction::kReinstate,
       "is revoked; a revoked badge cannot be reactivated: issue a new badge"},
      {revoked, BadgeAction::kActivate,
       "is revoked; a revoked badge cannot be reactivated: issue a new badge"},
      {revoked, BadgeAction::kRevoke, "is already revoked"},
      {suspended, BadgeAction::kSuspend, "is already suspended"},
      {issued, BadgeAction::kSuspend, "was never activated"},
      {issued, BadgeAction::kReinstate, "is issued, not suspended"},
  };
  for (const Case& c : cases) {
    Result<BadgeState> r =
        transition_badge(db.conn, c.badge, c.action, "mallory", "try", wall_now());
    ASSERT_FALSE(r.ok()) << c.badge << " " << to_string(c.action);
    EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
    EXPECT_THAT(r.error().message, HasSubstr("badge " + std::to_string(c.badge) + " "));
    EXPECT_THAT(r.error().message, HasSubstr(c.message));
  }
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint", {rev}),
            "revoked");
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint",
                       {std::to_string(suspended)}),
            "suspended");
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badge_transitions"), transitions)
      << "a refused change records nothing";

  Result<BadgeState> missing =
      transition_badge(db.conn, 999999, BadgeAction::kRevoke, "a", "b", wall_now());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  Result<BadgeState> no_reason =
      transition_badge(db.conn, issued, BadgeAction::kActivate, "a", "", wall_now());
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().kind, ErrorKind::kInvalidInput);
}

TEST(BadgeStore, CredentialIsNeverReusedEvenAfterRevocation) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  add_employee(db.conn, "E2", "Bob Baker", {});
  const std::int64_t id = add_badge(db.conn, "E1", "26:00ABCD");
  ASSERT_TRUE(
      transition_badge(db.conn, id, BadgeAction::kRevoke, "alice", "lost", wall_now()).ok());
  for (const char* person : {"E1", "E2"}) {
    Result<std::int64_t> again = issue_badge(db.conn, person, "26:00ABCD", "h10301", 12, 1,
                                             std::nullopt, std::nullopt, "alice", "reissue");
    ASSERT_FALSE(again.ok()) << person;
    EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
    EXPECT_EQ(again.error().message,
              "credential 26:00ABCD already belongs to badge " + std::to_string(id) +
                  " (revoked, person 'E1'); a credential is never reused, even after "
                  "revocation: issue a different card");
  }
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badges"), 1);
  // Raw SQL meets the UNIQUE constraint.
  ASSERT_TRUE(db.conn.exec("BEGIN").ok());
  ASSERT_TRUE(db.conn
                  .exec("SELECT set_config('gatehouse.operator', 'psql', true), "
                        "set_config('gatehouse.reason', 'raw', true)")
                  .ok());
  Result<Rows> raw = db.conn.exec(
      "INSERT INTO badges (person_id, credential, format) "
      "SELECT id, '26:00ABCD', 'h10301' FROM people WHERE external_id = 'E2'");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(db.conn.exec("ROLLBACK").ok());
}

TEST(BadgeStore, IssueRefusesUnknownTerminatedAndVisitorsAndBadInput) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  PersonImportRow gone{3, "E9", "Gone Person", "employee", "terminated", "", {}};
  ASSERT_TRUE(import_people(db.conn, {gone}, "hr").ok());
  ASSERT_TRUE(
      db.conn.exec("INSERT INTO people (external_id, name, kind) VALUES ('V-x', 'Vi', 'visitor')")
          .ok());
  auto issue = [&db](const char* who, const char* credential, std::optional<WallTime> from = {},
                     std::optional<WallTime> until = {}) {
    return issue_badge(db.conn, who, credential, "h10301", std::nullopt, std::nullopt, from, until,
                       "alice", "issue");
  };
  Result<std::int64_t> r = issue("E404", "26:1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  r = issue("E9", "26:2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(r.error().message, HasSubstr("is terminated"));
  r = issue("V-x", "26:3");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("visitor passes are issued at check-in"));
  r = issue("E1", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  const WallTime t = wall_now();
  r = issue("E1", "26:4", t, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  r = issue("E1", "26:5", t, test_support::plus_days(t, 365));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  Result<std::optional<BadgeInfo>> b = find_badge_by_credential(db.conn, "26:5");
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->valid_from, t);
  EXPECT_EQ((*b)->valid_until, test_support::plus_days(t, 365));
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badges"), 1);
}

// The trigger holds every writer to the lifecycle, not only this store.
TEST(BadgeTrigger, RawSqlIsHeldToTheLifecycle) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  const std::int64_t issued = add_badge(db.conn, "E1", "26:000020", false);
  const std::int64_t revoked = add_badge(db.conn, "E1", "26:000021");
  ASSERT_TRUE(
      transition_badge(db.conn, revoked, BadgeAction::kRevoke, "a", "lost", wall_now()).ok());
  const std::int64_t before = query_int(db.conn, "SELECT count(*) FROM badge_transitions");

  // With who and why said, each of these still breaks the lifecycle.
  auto raw = [&db](const std::string& sql) {
    EXPECT_TRUE(db.conn.exec("BEGIN").ok());
    EXPECT_TRUE(db.conn
                    .exec("SELECT set_config('gatehouse.operator', 'psql:root', true), "
                          "set_config('gatehouse.reason', 'by hand', true)")
                    .ok());
    Result<Rows> r = db.conn.exec(sql);
    EXPECT_TRUE(db.conn.exec(r.ok() ? "COMMIT" : "ROLLBACK").ok());
    return r;
  };
  const std::string rid = std::to_string(revoked);
  const std::string iid = std::to_string(issued);
  struct Case {
    std::string sql;
    std::string message;
  };
  const Case cases[] = {
      {"UPDATE badges SET state = 'active' WHERE id = " + rid,
       "badge " + rid +
           " is revoked; a revoked badge cannot become active (revoked is final): issue a new "
           "badge"},
      {"UPDATE badges SET state = 'suspended' WHERE id = " + rid, "is revoked"},
      {"UPDATE badges SET state = 'issued' WHERE id = " + rid, "is revoked"},
      {"UPDATE badges SET state = 'suspended' WHERE id = " + iid,
       "badge " + iid + ": issued -> suspended is not allowed"},
      {"UPDATE badges SET credential = '26:FFFFFF' WHERE id = " + iid, "never change"},
      {"DELETE FROM badges WHERE id = " + rid, "badges are never deleted"},
      {"TRUNCATE badges CASCADE", "badges are never deleted"},
      {"INSERT INTO badges (person_id, credential, format, state) "
       "SELECT id, '26:000099', 'h10301', 'active' FROM people WHERE external_id = 'E1'",
       "every badge starts issued"},
  };
  for (const Case& c : cases) {
    Result<Rows> r = raw(c.sql);
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.error().kind, ErrorKind::kConflict) << c.sql << ": " << r.error().message;
    EXPECT_THAT(r.error().message, HasSubstr(c.message)) << c.sql;
  }
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = " + rid), "revoked");
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = " + iid), "issued");
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM badge_transitions"), before);

  // An allowed change without saying who and why is refused too...
  Result<Rows> anonymous = db.conn.exec("UPDATE badges SET state = 'active' WHERE id = " + iid);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_THAT(anonymous.error().message, HasSubstr("must say who and why"));
  // ...and with them it is applied and recorded like any other.
  Result<Rows> ok = raw("UPDATE badges SET state = 'active' WHERE id = " + iid);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  Result<Rows> last = db.conn.exec(
      "SELECT from_state, to_state, operator, reason FROM badge_transitions "
      "WHERE badge_id = $1::bigint ORDER BY id DESC LIMIT 1",
      {iid});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->text(0, 0), "issued");
  EXPECT_EQ(last->text(0, 1), "active");
  EXPECT_EQ(last->text(0, 2), "psql:root");
  EXPECT_EQ(last->text(0, 3), "by hand");
  // Other columns change freely and record nothing.
  EXPECT_TRUE(
      db.conn.exec("UPDATE badges SET valid_until = now() + interval '1 day' WHERE id = " + iid)
          .ok());
}

TEST(BadgeStore, PinFailuresLockAndRightPinClears) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {"it"});
  const std::int64_t id = add_badge(db.conn, "E1", "26:000030");
  ASSERT_TRUE(set_pin_hash(db.conn, id, "$argon2id$v=19$m=65536,t=2,p=1$fake", "alice").ok());
  const WallTime t = wall_now();
  for (int i = 1; i <= 2; ++i) {
    Result<PinState> s = record_pin_result(db.conn, id, false, 3, std::chrono::minutes(15), t);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    EXPECT_EQ(s->failures, i);
    EXPECT_FALSE(s->locked);
  }
  Result<PinState> s = record_pin_result(db.conn, id, true, 3, std::chrono::minutes(15), t);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->failures, 0) << "a right PIN clears the count";
  for (int i = 1; i <= 3; ++i) {
    s = record_pin_result(db.conn, id, false, 3, std::chrono::minutes(15), t);
    ASSERT_TRUE(s.ok());
  }
  EXPECT_TRUE(s->locked);
  EXPECT_EQ(s->locked_until, test_support::plus_minutes(t, 15));
  EXPECT_EQ(s->failures, 0);
  // During the lockout nothing counts, not even a right PIN.
  s = record_pin_result(db.conn, id, true, 3, std::chrono::minutes(15),
                        test_support::plus_minutes(t, 14));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->locked);
  EXPECT_EQ(s->locked_until, test_support::plus_minutes(t, 15));
  // After it, a wrong PIN starts a new count and clears the old lock.
  s = record_pin_result(db.conn, id, false, 3, std::chrono::minutes(15),
                        test_support::plus_minutes(t, 15));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->locked);
  EXPECT_EQ(s->failures, 1);
  EXPECT_FALSE(s->locked_until.has_value());
  Result<std::optional<BadgeRow>> row = load_badge(db.conn, id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->pin_failures, 1);
  EXPECT_EQ((*row)->pin_hash, "$argon2id$v=19$m=65536,t=2,p=1$fake");
  // A new PIN clears the count; the change is recorded.
  ASSERT_TRUE(set_pin_hash(db.conn, id, "", "bob").ok());
  row = load_badge(db.conn, id);
  EXPECT_EQ((*row)->pin_failures, 0);
  EXPECT_EQ((*row)->pin_hash, "");
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM person_changes WHERE change LIKE 'PIN %'"), 2);
  Result<PinState> missing =
      record_pin_result(db.conn, 999999, false, 3, std::chrono::minutes(1), t);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(BadgeStore, TouchLastUsedNeverGoesBackwards) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  const std::int64_t a = add_badge(db.conn, "E1", "26:000040");
  const std::int64_t b = add_badge(db.conn, "E1", "26:000041");
  const WallTime t = wall_now();
  Result<int> n = touch_last_used(db.conn, {a, b}, test_support::plus_minutes(t, 10));
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, 2);
  n = touch_last_used(db.conn, {a}, test_support::plus_minutes(t, 5));  // a late batch
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  Result<std::optional<BadgeRow>> row = load_badge(db.conn, a);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->last_used_at, test_support::plus_minutes(t, 10));
  n = touch_last_used(db.conn, {}, t);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST(BadgeStore, SuspendUnusedUsesLastUseOrIssueAndRecordsSystem) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  const WallTime t = wall_now();  // about when the badges are created
  const std::int64_t never_used = add_badge(db.conn, "E1", "26:000050");
  const std::int64_t used = add_badge(db.conn, "E1", "26:000051");
  const std::int64_t issued_only = add_badge(db.conn, "E1", "26:000052", false);
  const std::int64_t suspended = add_badge(db.conn, "E1", "26:000053");
  ASSERT_TRUE(transition_badge(db.conn, suspended, BadgeAction::kSuspend, "a", "lost", t).ok());
  ASSERT_TRUE(touch_last_used(db.conn, {used}, test_support::plus_days(t, 60)).ok());

  Result<std::vector<std::int64_t>> none =
      suspend_unused(db.conn, 90, test_support::plus_days(t, 89), "system");
  ASSERT_TRUE(none.ok()) << none.error().to_string();
  EXPECT_TRUE(none->empty());
  Result<std::vector<std::int64_t>> off =
      suspend_unused(db.conn, 0, test_support::plus_days(t, 9999), "system");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->empty()) << "0 days is off";

  const WallTime day91 = test_support::plus_days(t, 91);
  Result<std::vector<std::int64_t>> first = suspend_unused(db.conn, 90, day91, "system");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(*first, std::vector<std::int64_t>{never_used}) << "used on day 60: 31 days unused";
  Result<std::vector<BadgeTransition>> h = badge_history(db.conn, never_used);
  ASSERT_TRUE(h.ok());
  const BadgeTransition& last = h->back();
  EXPECT_EQ(last.from, kActive);
  EXPECT_EQ(last.to, kSuspended);
  EXPECT_EQ(last.operator_name, "system");
  EXPECT_EQ(last.reason, "not used for more than 90 days");
  EXPECT_EQ(last.at, day91);

  Result<std::vector<std::int64_t>> second =
      suspend_unused(db.conn, 90, test_support::plus_days(t, 151), "system");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, std::vector<std::int64_t>{used});
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint",
                       {std::to_string(issued_only)}),
            "issued");
  Result<std::vector<std::int64_t>> bad = suspend_unused(db.conn, 3651, t, "system");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
}

TEST(BadgeStore, ListFiltersByPersonStateAndPages) {
  auto db = access_database();
  add_employee(db.conn, "E1", "Ann Archer", {});
  add_employee(db.conn, "E2", "Bob Baker", {});
  const std::int64_t a1 = add_badge(db.conn, "E1", "26:000060");
  const std::int64_t a2 = add_badge(db.conn, "E1", "26:000061", false);
  const std::int64_t b1 = add_badge(db.conn, "E2", "26:000062");
  BadgeFilter f;
  Result<std::vector<BadgeInfo>> all = list_badges(db.conn, f);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, a1);
  EXPECT_EQ((*all)[0].format, "h10301");
  EXPECT_EQ((*all)[0].facility, 12);
  EXPECT_EQ((*all)[0].person_name, "Ann Archer");
  f.person_external_id = "E1";
  Result<std::vector<BadgeInfo>> ann = list_badges(db.conn, f);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->size(), 2u);
  f.state = kIssued;
  Result<std::vector<BadgeInfo>> issued = list_badges(db.conn, f);
  ASSERT_TRUE(issued.ok());
  ASSERT_EQ(issued->size(), 1u);
  EXPECT_EQ((*issued)[0].id, a2);
  BadgeFilter page;
  page.limit = 2;
  page.after_id = a1;
  Result<std::vector<BadgeInfo>> next = list_badges(db.conn, page);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[1].id, b1);
  page.limit = 0;
  EXPECT_FALSE(list_badges(db.conn, page).ok());
  Result<std::vector<BadgeTransition>> missing = badge_history(db.conn, 424242);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  Result<std::optional<BadgeInfo>> none = find_badge_by_credential(db.conn, "26:nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace gatehouse::db
