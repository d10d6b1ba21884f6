// The HR import and group membership: idempotence, bad rows reported with
// their line while good rows land, termination revoking badges in the same
// transaction, and the refusals for visitors.
#include "db/people_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "db/badge_store.h"
#include "db/visitor_store.h"
#include "tests/db/access_fixture.h"

namespace gatehouse::db {
namespace {

using test_support::access_database;
using test_support::add_badge;
using test_support::query_int;
using test_support::query_text;
using test_support::wall_now;
using ::testing::HasSubstr;

PersonImportRow row(int line, std::string id, std::string name,
                    std::vector<std::string> groups = {}, std::string status = "",
                    std::string kind = "", std::string email = "") {
  return PersonImportRow{line,
                         std::move(id),
                         std::move(name),
                         std::move(kind),
                         std::move(status),
                         std::move(email),
                         std::move(groups)};
}

// Every row of the people tables with its xmin: equal text means nothing was
// inserted, deleted or rewritten in between.
std::string snapshot(Connection& c) {
  std::string out;
  for (const char* table :
       {"people", "person_group_members", "person_changes", "badges", "badge_transitions"}) {
    out += table;
    out += ": " +
           test_support::query_text(
               c, std::string("SELECT coalesce(string_agg(t.xmin::text || ' ' || t::text, "
                              "';' ORDER BY t::text), '') FROM ") +
                      table + " AS t") +
           "\n";
  }
  return out;
}

const std::vector<PersonImportRow> kFile = {
    row(2, "E1", "Ann Archer", {"staff", "it"}, "", "", "ann@example.com"),
    row(3, "E2", "Bob Baker", {"staff"}),
    row(4, "C1", "Cy Contractor", {}, "active", "contractor"),
};

TEST(PeopleImport, CreatesPeopleWithGroupsAndTheSameFileTwiceChangesNothing) {
  auto db = access_database();
  Result<ImportReport> first = import_people(db.conn, kFile, "cli:hr");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->created, 3);
  EXPECT_EQ(first->updated, 0);
  EXPECT_TRUE(first->rejected.empty());
  EXPECT_TRUE(first->changed());

  Result<std::optional<PersonRow>> ann = find_person(db.conn, "E1");
  ASSERT_TRUE(ann.ok() && ann->has_value());
  EXPECT_EQ((*ann)->name, "Ann Archer");
  EXPECT_EQ((*ann)->kind, PersonKind::kEmployee);
  EXPECT_TRUE((*ann)->active);
  EXPECT_EQ((*ann)->groups, (std::vector<std::string>{"it", "staff"})) << "sorted";
  Result<std::optional<PersonRow>> cy = find_person(db.conn, "C1");
  ASSERT_TRUE(cy.ok() && cy->has_value());
  EXPECT_EQ((*cy)->kind, PersonKind::kContractor);
  EXPECT_EQ(query_text(db.conn, "SELECT email FROM people WHERE external_id = 'E1'"),
            "ann@example.com");
  EXPECT_EQ(query_text(db.conn,
                       "SELECT operator || ': ' || change FROM person_changes "
                       "WHERE external_id = 'E1'"),
            "cli:hr: created: employee, groups it, staff");

  const std::string before = snapshot(db.conn);
  Result<ImportReport> second = import_people(db.conn, kFile, "cli:hr");
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->created, 0);
  EXPECT_EQ(second->updated, 0);
  EXPECT_EQ(second->unchanged, 3);
  EXPECT_FALSE(second->changed());
  EXPECT_EQ(snapshot(db.conn), before) << "no row written the second time";

  // The same people in another order, groups listed differently: still nothing.
  std::vector<PersonImportRow> shuffled = {kFile[2], kFile[1], kFile[0]};
  shuffled[2].groups = {"it", "staff", "it"};
  Result<ImportReport> third = import_people(db.conn, shuffled, "cli:hr");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->unchanged, 3);
  EXPECT_EQ(snapshot(db.conn), before);
}

TEST(PeopleImport, ChangesAreAppliedAndRecordedAndAbsentPeopleCounted) {
  auto db = access_database();
  ASSERT_TRUE(import_people(db.conn, kFile, "cli:hr").ok());
  std::vector<PersonImportRow> next = {
      row(2, "E1", "Ann Archer-Smith", {"staff"}, "", "", "ann@example.com"),  // name, -it
      row(3, "E2", "Bob Baker", {"staff"}, "", "contractor"),                  // kind
  };
  Result<ImportReport> r = import_people(db.conn, next, "cli:hr2");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->updated, 2);
  EXPECT_EQ(r->not_in_file, 1) << "C1 is left alone and counted";
  EXPECT_EQ(query_text(db.conn,
                       "SELECT change FROM person_changes WHERE external_id = 'E1' "
                       "ORDER BY id DESC LIMIT 1"),
            "name 'Ann Archer' -> 'Ann Archer-Smith'; groups -it");
  EXPECT_EQ(query_text(db.conn, "SELECT kind FROM people WHERE external_id = 'E2'"), "contractor");
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM people WHERE external_id = 'C1'"), 1);
}

TEST(PeopleImport, BadRowsAreReportedWithLineAndReasonWhileGoodRowsLand) {
  auto db = access_database();
  Result<RegisteredVisit> visit = [&db] {
    test_support::add_employee(db.conn, "E0", "Host Person", {"staff"});
    const WallTime t = wall_now();
    return register_visit(db.conn, "Vera Visitor", "V-77", "E0", t, test_support::plus_days(t, 1),
                          "reception");
  }();
  ASSERT_TRUE(visit.ok()) << visit.error().to_string();
  const std::vector<PersonImportRow> file = {
      row(2, "E1", "Ann Archer", {"staff"}),
      row(3, "E2", "Bob Baker", {"staff", "it-staff"}),
      row(4, "", "No Id", {}),
      row(5, "E3", "", {}),
      row(6, "E4", "Vic Visitor", {}, "", "visitor"),
      row(7, "E5", "Pat Partner", {}, "", "partner"),
      row(8, "E6", "Old Timer", {}, "retired"),
      row(9, "E1", "Ann Again", {}),
      row(10, "V-77", "Vera Visitor", {"staff"}),
      row(11, "E7", "Gil Good", {"it"}),
  };
  Result<ImportReport> r = import_people(db.conn, file, "cli:hr");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->created, 2);
  struct Expected {
    int line;
    const char* reason;
  };
  const Expected expected[] = {
      {3, "unknown group 'it-staff'; the site file defines: it, staff, visitors"},
      {4, "empty external_id"},
      {5, "empty name"},
      {6, "kind 'visitor' cannot be imported: reception registers visitors"},
      {7, "kind 'partner' is not employee or contractor"},
      {8, "status 'retired' is not active or terminated"},
      {9, "external id 'E1' appears again (first on line 2)"},
      {10,
       "external id 'V-77' is a visitor registered at reception; an HR import cannot change a "
       "visitor"},
  };
  ASSERT_EQ(r->rejected.size(), std::size(expected));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(r->rejected[i].line, expected[i].line) << i;
    EXPECT_EQ(r->rejected[i].reason, expected[i].reason) << i;
  }
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM people WHERE external_id IN ('E1', 'E7')"), 2);
  EXPECT_EQ(query_text(db.conn, "SELECT name FROM people WHERE external_id = 'E1'"), "Ann Archer");
  EXPECT_EQ(query_int(db.conn,
                      "SELECT count(*) FROM people WHERE external_id IN "
                      "('E2', 'E3', 'E4', 'E5', 'E6')"),
            0);
  EXPECT_EQ(query_int(db.conn,
                      "SELECT count(*) FROM person_group_members m JOIN people p "
                      "ON p.id = m.person_id WHERE p.external_id = 'V-77'"),
            0);
}

// A row the database itself refuses is undone alone (a savepoint per row):
// the rows before and after it still land.
TEST(PeopleImport, ARowTheDatabaseRefusesIsRolledBackAlone) {
  auto db = access_database();
  ASSERT_TRUE(db.conn
                  .exec_script(R"sql(
      CREATE FUNCTION refuse_e13() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.external_id = 'E13' THEN
          RAISE EXCEPTION 'E13 is on the test refusal list' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_e13 AFTER INSERT ON people FOR EACH ROW EXECUTE FUNCTION refuse_e13())sql")
                  .ok());
  Result<ImportReport> r =
      import_people(db.conn,
                    {row(2, "E12", "Twelve", {"staff"}), row(3, "E13", "Thirteen", {"staff"}),
                     row(4, "E14", "Fourteen", {"staff"})},
                    "cli:hr");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->created, 2);
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].line, 3);
  EXPECT_EQ(r->rejected[0].reason, "E13 is on the test refusal list");
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM people"), 2);
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM person_group_members"), 2);
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM person_changes"), 2)
      << "the refused row's record was rolled back with it";
}

TEST(PeopleImport, TerminationRevokesEveryBadgeInTheSameTransaction) {
  auto db = access_database();
  ASSERT_TRUE(import_people(db.conn, kFile, "cli:hr").ok());
  const std::int64_t active = add_badge(db.conn, "E1", "26:000100");
  const std::int64_t issued = add_badge(db.conn, "E1", "26:000101", false);
  const std::int64_t suspended = add_badge(db.conn, "E1", "26:000102");
  ASSERT_TRUE(
      transition_badge(db.conn, suspended, BadgeAction::kSuspend, "a", "lost", wall_now()).ok());
  const std::int64_t old = add_badge(db.conn, "E1", "26:000103");
  ASSERT_TRUE(transition_badge(db.conn, old, BadgeAction::kRevoke, "a", "broken", wall_now()).ok());
  const std::int64_t bobs = add_badge(db.conn, "E2", "26:000104");

  std::vector<PersonImportRow> file = kFile;
  file[0].status = "terminated";
  Result<ImportReport> r = import_people(db.conn, file, "cli:hr-nightly");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->updated, 1);
  EXPECT_EQ(r->terminated, 1);
  EXPECT_EQ(r->badges_revoked, 3);
  EXPECT_EQ(query_text(db.conn, "SELECT active FROM people WHERE external_id = 'E1'"), "f");
  for (std::int64_t id : {active, issued, suspended, old}) {
    EXPECT_EQ(
        query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint", {std::to_string(id)}),
        "revoked")
        << id;
  }
  EXPECT_EQ(
      query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint", {std::to_string(bobs)}),
      "active");
  Result<Rows> t = db.conn.exec(
      "SELECT operator, reason, from_state, xmin::text FROM badge_transitions "
      "WHERE to_state = 'revoked' AND badge_id <> $1::bigint ORDER BY badge_id",
      {std::to_string(old)});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 3);
  const std::string person_xmin =
      query_text(db.conn, "SELECT xmin::text FROM people WHERE external_id = 'E1'");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t->text(i, 0), "cli:hr-nightly");
    EXPECT_EQ(t->text(i, 1), "terminated in HR import");
    EXPECT_EQ(t->text(i, 3), person_xmin) << "revoked in the transaction that terminated";
  }
  EXPECT_EQ(t->text(0, 2), "active");
  EXPECT_EQ(t->text(1, 2), "issued");
  EXPECT_EQ(t->text(2, 2), "suspended");

  const std::string before = snapshot(db.conn);
  Result<ImportReport> again = import_people(db.conn, file, "cli:hr-nightly");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->badges_revoked, 0);
  EXPECT_EQ(again->terminated, 0);
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(snapshot(db.conn), before);

  // Re-hired: active again, but the old badges stay revoked.
  Result<ImportReport> back = import_people(db.conn, kFile, "cli:hr-nightly");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->updated, 1);
  EXPECT_EQ(query_text(db.conn, "SELECT state FROM badges WHERE id = $1::bigint",
                       {std::to_string(active)}),
            "revoked");
}

TEST(PeopleGroups, AddAndRemoveAreRecordedAndIdempotent) {
  auto db = access_database();
  ASSERT_TRUE(import_people(db.conn, kFile, "cli:hr").ok());
  Result<bool> added = add_person_to_group(db.conn, "E2", "it", "alice");
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(*added);
  added = add_person_to_group(db.conn, "E2", "it", "alice");
  ASSERT_TRUE(added.ok());
  EXPECT_FALSE(*added);
  Result<bool> removed = remove_person_from_group(db.conn, "E2", "staff", "alice");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  removed = remove_person_from_group(db.conn, "E2", "staff", "alice");
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(*removed);
  Result<std::optional<PersonRow>> bob = find_person(db.conn, "E2");
  ASSERT_TRUE(bob.ok() && bob->has_value());
  EXPECT_EQ((*bob)->groups, std::vector<std::string>{"it"});
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM person_changes WHERE operator = 'alice'"), 2);

  Result<bool> unknown_group = add_person_to_group(db.conn, "E2", "cleaners", "alice");
  ASSERT_FALSE(unknown_group.ok());
  EXPECT_EQ(unknown_group.error().kind, ErrorKind::kNotFound);
  Result<bool> unknown_person = add_person_to_group(db.conn, "E404", "it", "alice");
  ASSERT_FALSE(unknown_person.ok());
  EXPECT_EQ(unknown_person.error().kind, ErrorKind::kNotFound);
}

TEST(PeopleGroups, VisitorsAreNeverMembersOfAGroupWhoeverWrites) {
  auto db = access_database();
  test_support::add_employee(db.conn, "E1", "Host Person", {"staff"});
  const WallTime t = wall_now();
  Result<RegisteredVisit> v = register_visit(db.conn, "Vera Visitor", "", "E1", t,
                                             test_support::plus_days(t, 1), "reception");
  ASSERT_TRUE(v.ok()) << v.error().to_string();

  Result<bool> r = add_person_to_group(db.conn, v->visitor_ref, "staff", "alice");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(r.error().message, "person '" + v->visitor_ref +
                                   "' (Vera Visitor) is a visitor and cannot be a member of group "
                                   "'staff': visitors pass only with their visitor pass, escorted "
                                   "by their host");
  // Raw SQL meets the trigger, with the same words.
  Result<Rows> raw = db.conn.exec("INSERT INTO person_group_members VALUES ($1::bigint, 'staff')",
                                  {std::to_string(v->visitor_person_id)});
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(raw.error().message,
              HasSubstr("is a visitor and cannot be a member of group 'staff'"));
  // And an employee with groups cannot be turned into a visitor.
  Result<Rows> turn = db.conn.exec("UPDATE people SET kind = 'visitor' WHERE external_id = 'E1'");
  ASSERT_FALSE(turn.ok());
  EXPECT_THAT(turn.error().message, HasSubstr("cannot become a visitor"));
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM person_group_members"), 1);
}

}  // namespace
}  // namespace gatehouse::db
