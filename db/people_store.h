// People: the HR import (employees and contractors) and group membership.
// Visitors are registered by db/visitor_store.h, never imported.
// docs/people-import.md is the operator's reference for the import.
//
// Thread safety: functions use only the caller's connection, and block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "db/access_data.h"
#include "db/pg.h"

namespace gatehouse::db {

// One data row of an HR file, as the CSV reader found it.
struct PersonImportRow {
  int line = 0;  // line of the file, for the report
  std::string external_id;
  std::string name;
  std::string kind;                 // "employee" (also when empty) or "contractor"
  std::string status;               // "active" (also when empty) or "terminated"
  std::string email;                // empty: none
  std::vector<std::string> groups;  // site group ids; repeats are ignored
};

struct ImportProblem {
  int line = 0;
  std::string external_id;
  std::string reason;  // what is wrong and, where it helps, what to do
};

struct ImportReport {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  int terminated = 0;      // people this import terminated (active before)
  int badges_revoked = 0;  // badges revoked because their holder is terminated
  int not_in_file = 0;     // employees and contractors in the database but not in the file
  std::vector<ImportProblem> rejected;  // in file order; these rows changed nothing
  bool changed() const { return created + updated + badges_revoked > 0; }
};

// Imports the rows in ONE transaction: each good row creates or updates its
// person (name, kind, status, e-mail, exactly the listed groups), each bad
// row is reported with its line and reason and changes nothing, and a row
// that matches the database writes nothing (the same file twice changes
// nothing). A terminated person has every badge revoked in the same
// transaction, recorded with operator_name and the reason "terminated in HR
// import". People not in the file are left alone and counted. Rows are
// refused for: empty external id or name, kind other than employee or
// contractor (visitor included), bad status, the same external id twice
// (the second), an unknown group, an existing visitor's external id, or a
// change the database refuses (its message is the reason). Errors (nothing
// imported): kInvalidInput for an empty operator, database errors.
Result<ImportReport> import_people(Connection& conn, const std::vector<PersonImportRow>& rows,
                                   std::string_view operator_name);

// Adds a person to a site group; false when they already were a member.
// kNotFound: unknown person or group; kConflict: the person is a visitor.
// Recorded in person_changes.
Result<bool> add_person_to_group(Connection& conn, std::string_view external_id,
                                 std::string_view group_id, std::string_view operator_name);

// Removes a person from a group; false when they were not a member.
// kNotFound: unknown person. Recorded in person_changes.
Result<bool> remove_person_from_group(Connection& conn, std::string_view external_id,
                                      std::string_view group_id, std::string_view operator_name);

// The person with this external id, with their groups; nullopt when none.
Result<std::optional<PersonRow>> find_person(Connection& conn, std::string_view external_id);

// Anti-passback forgive: records who cleared the person's recorded location and
// why; every running controller hears it (NOTIFY "forgive:<person id>") and
// forgets the location. kNotFound for an unknown person.
Result<std::int64_t> forgive_passback(Connection& conn, std::string_view external_id,
                                      std::string_view operator_name, std::string_view reason);

}  // namespace gatehouse::db
