#include "db/people_store.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/log.h"
#include "db/badge_store.h"
#include "db/store_support.h"
#include "site/site.h"

namespace gatehouse::db {
namespace {

using detail::int_param;

// See db/migrate.cpp: same class, one number per purpose.
constexpr const char* kLockClass = "1195463749";
constexpr const char* kLockPeopleImport = "3";

constexpr std::string_view kTerminatedReason = "terminated in HR import";

struct Existing {
  std::int64_t id = 0;
  std::string name;
  std::string kind;
  bool active = true;
  std::string email;  // "" for NULL
  std::set<std::string> groups;
};

// A row checked on its own, with its defaults filled in.
struct Wanted {
  std::string kind;
  bool active = true;
  std::set<std::string> groups;
};

std::string joined(const std::set<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// The reason a row is refused before it reaches the database, or "".
std::string check_row(const PersonImportRow& row, const std::set<std::string>& site_groups,
                      Wanted& want) {
  if (row.external_id.empty()) return "empty external_id";
  if (row.name.empty()) return "empty name";
  want.kind = row.kind.empty() ? "employee" : row.kind;
  if (want.kind == "visitor") {
    return "kind 'visitor' cannot be imported: reception registers visitors";
  }
  if (want.kind != "employee" && want.kind != "contractor") {
    return "kind '" + row.kind + "' is not employee or contractor";
  }
  const std::string status = row.status.empty() ? "active" : row.status;
  if (status != "active" && status != "terminated") {
    return "status '" + row.status + "' is not active or terminated";
  }
  want.active = status == "active";
  for (const std::string& g : row.groups) {
    if (g == site::kVisitorsGroup) {
      return "group 'visitors' is reserved: every checked-in visitor is in it, and nobody else";
    }
    if (!site_groups.contains(g)) {
      std::string message = "unknown group '" + g + "'; ";
      message += site_groups.empty() ? "the site file defines no groups"
                                     : "the site file defines: " + joined(site_groups, ", ");
      return message;
    }
    want.groups.insert(g);
  }
  return "";
}

Result<std::set<std::string>> site_groups(Connection& conn) {
  Result<Rows> r = conn.exec("SELECT id FROM person_groups");
  if (!r.ok()) return r.error();
  std::set<std::string> out;
  for (int i = 0; i < r->size(); ++i) out.emplace(r->text(i, 0));
  return out;
}

// The people of the file already in the database, locked for the import.
Result<std::map<std::string, Existing>> existing_people(Connection& conn,
                                                        const std::vector<std::string>& ids) {
  std::map<std::string, Existing> out;
  Result<Rows> r = conn.exec(
      "SELECT id, external_id, name, kind, active, email FROM people "
      "WHERE external_id = ANY($1::text[]) FOR UPDATE",
      {text_array(ids)});
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    Existing e;
    e.id = r->int64(i, 0);
    e.name = r->text(i, 2);
    e.kind = r->text(i, 3);
    e.active = r->boolean(i, 4);
    e.email = r->text(i, 5);
    out.emplace(std::string(r->text(i, 1)), std::move(e));
  }
  r = conn.exec(
      "SELECT p.external_id, m.group_id FROM people p "
      "JOIN person_group_members m ON m.person_id = p.id WHERE p.external_id = ANY($1::text[])",
      {text_array(ids)});
  if (!r.ok()) return r.error();
  for (int i = 0; i < r->size(); ++i) {
    out[std::string(r->text(i, 0))].groups.emplace(r->text(i, 1));
  }
  return out;
}

Status set_groups(Connection& conn, std::int64_t person_id, const std::set<std::string>& remove,
                  const std::set<std::string>& add) {
  if (!remove.empty()) {
    Result<Rows> r = conn.exec(
        "DELETE FROM person_group_members WHERE person_id = $1::bigint "
        "AND group_id = ANY($2::text[])",
        {int_param(person_id), text_array(std::vector<std::string>(remove.begin(), remove.end()))});
    if (!r.ok()) return r.error();
  }
  if (!add.empty()) {
    Result<Rows> r = conn.exec(
        "INSERT INTO person_group_members (person_id, group_id) "
        "SELECT $1::bigint, g FROM unnest($2::text[]) AS g ON CONFLICT DO NOTHING",
        {int_param(person_id), text_array(std::vector<std::string>(add.begin(), add.end()))});
    if (!r.ok()) return r.error();
  }
  return Status();
}

Param email_param(const std::string& email) {
  return email.empty() ? Param() : Param(email);
}

// What this row does, as written in person_changes; "" when nothing.
std::string describe_update(const PersonImportRow& row, const Wanted& want, const Existing& e,
                            std::set<std::string>& remove, std::set<std::string>& add) {
  std::vector<std::string> parts;
  if (e.name != row.name) parts.push_back("name '" + e.name + "' -> '" + row.name + "'");
  if (e.kind != want.kind) parts.push_back("kind " + e.kind + " -> " + want.kind);
  if (e.active != want.active) parts.push_back(want.active ? "reactivated" : "terminated");
  if (e.email != row.email) parts.push_back("email '" + e.email + "' -> '" + row.email + "'");
  std::set_difference(e.groups.begin(), e.groups.end(), want.groups.begin(), want.groups.end(),
                      std::inserter(remove, remove.end()));
  std::set_difference(want.groups.begin(), want.groups.end(), e.groups.begin(), e.groups.end(),
                      std::inserter(add, add.end()));
  if (!remove.empty() || !add.empty()) {
    std::string g = "groups";
    for (const auto& x : add) g += " +" + x;
    for (const auto& x : remove) g += " -" + x;
    parts.push_back(g);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

struct RowOutcome {
  enum Kind { kCreated, kUpdated, kUnchanged } kind = kUnchanged;
  bool terminated_now = false;
  int badges_revoked = 0;
};

// The writes of one good row, inside the import's transaction.
Result<RowOutcome> write_row(Connection& conn, const PersonImportRow& row, const Wanted& want,
                             const Existing* existing, std::string_view operator_name) {
  RowOutcome out;
  std::int64_t id = 0;
  if (existing == nullptr) {
    Result<Rows> r = conn.exec(
        "INSERT INTO people (external_id, name, kind, active, email) "
        "VALUES ($1, $2, $3, $4::boolean, $5) RETURNING id",
        {row.external_id, row.name, want.kind, want.active ? "true" : "false",
         email_param(row.email)});
    if (!r.ok()) return r.error();
    id = r->int64(0, 0);
    if (Status s = set_groups(conn, id, {}, want.groups); !s.ok()) return s.error();
    std::string change = "created: " + want.kind + (want.active ? "" : ", terminated");
    if (!want.groups.empty()) change += ", groups " + joined(want.groups, ", ");
    if (Status s = detail::record_person_change(conn, id, row.external_id, operator_name, change);
        !s.ok()) {
      return s.error();
    }
    out.kind = RowOutcome::kCreated;
  } else {
    id = existing->id;
    std::set<std::string> remove;
    std::set<std::string> add;
    const std::string change = describe_update(row, want, *existing, remove, add);
    if (!change.empty()) {
      Result<Rows> r = conn.exec(
          "UPDATE people SET name = $2, kind = $3, active = $4::boolean, email = $5 "
          "WHERE id = $1::bigint",
          {int_param(id), row.name, want.kind, want.active ? "true" : "false",
           email_param(row.email)});
      if (!r.ok()) return r.error();
      if (Status s = set_groups(conn, id, remove, add); !s.ok()) return s.error();
      if (Status s = detail::record_person_change(conn, id, row.external_id, operator_name, change);
          !s.ok()) {
        return s.error();
      }
      out.kind = RowOutcome::kUpdated;
      out.terminated_now = existing->active && !want.active;
    }
  }
  if (!want.active) {
    // Also for a person terminated before: a badge left unrevoked by another
    // writer is revoked now, and a second import finds nothing to do.
    Result<std::vector<std::int64_t>> revoked = revoke_person_badges(conn, id);
    if (!revoked.ok()) return revoked.error();
    out.badges_revoked = static_cast<int>(revoked->size());
  }
  return out;
}

Status exec_ok(Connection& conn, std::string_view sql) {
  Result<Rows> r = conn.exec(sql);
  if (!r.ok()) return r.error();
  return Status();
}

// The import report is for operators: the server's message without the
// "[SQLSTATE 23514]" that db/pg.cpp appends for developers.
std::string without_sqlstate(std::string message) {
  const std::size_t at = message.rfind(" [SQLSTATE ");
  if (at != std::string::npos && message.back() == ']') message.resize(at);
  return message;
}

struct PersonRef {
  std::int64_t id = 0;
  std::string kind;
  std::string name;
};

Result<PersonRef> person_for_update(Connection& conn, std::string_view external_id) {
  Result<Rows> r = conn.exec("SELECT id, kind, name FROM people WHERE external_id = $1 FOR UPDATE",
                             {std::string(external_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound,
                      "no person with external id '" + std::string(external_id) + "'");
  }
  return PersonRef{r->int64(0, 0), std::string(r->text(0, 1)), std::string(r->text(0, 2))};
}

}  // namespace

Result<ImportReport> import_people(Connection& conn, const std::vector<PersonImportRow>& rows,
                                   std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  // Two imports at once would judge rows against each other's half-done work.
  Result<Rows> locked = conn.exec("SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
                                  {kLockClass, kLockPeopleImport});
  if (!locked.ok()) return locked.error();
  // A membership's group is checked at its row, not at COMMIT, so that a bad
  // row fails alone instead of failing the whole import.
  if (Status s = exec_ok(conn, "SET CONSTRAINTS person_group_members_group_id_fkey IMMEDIATE");
      !s.ok()) {
    return s.error();
  }
  // The only badge changes an import makes are revocations on termination.
  if (Status s = detail::set_change_context(conn, operator_name, kTerminatedReason, std::nullopt);
      !s.ok()) {
    return s.error();
  }
  Result<std::set<std::string>> groups = site_groups(conn);
  if (!groups.ok()) return groups.error();

  std::vector<std::string> ids;
  for (const auto& row : rows) {
    if (!row.external_id.empty()) ids.push_back(row.external_id);
  }
  Result<std::map<std::string, Existing>> existing = existing_people(conn, ids);
  if (!existing.ok()) return existing.error();

  ImportReport report;
  std::map<std::string, int> first_line;
  for (const PersonImportRow& row : rows) {
    auto reject = [&report, &row](std::string reason) {
      report.rejected.push_back({row.line, row.external_id, std::move(reason)});
    };
    Wanted want;
    std::string problem = check_row(row, *groups, want);
    if (problem.empty()) {
      auto [it, fresh] = first_line.emplace(row.external_id, row.line);
      if (!fresh) {
        problem = "external id '" + row.external_id + "' appears again (first on line " +
                  std::to_string(it->second) + ")";
      }
    }
    auto found = existing->find(row.external_id);
    const Existing* before = found == existing->end() ? nullptr : &found->second;
    if (problem.empty() && before != nullptr && before->kind == "visitor") {
      problem = "external id '" + row.external_id +
                "' is a visitor registered at reception; an HR import cannot change a visitor";
    }
    if (!problem.empty()) {
      reject(std::move(problem));
      continue;
    }

    // A savepoint per row: a refusal by the database undoes this row only.
    if (Status s = exec_ok(conn, "SAVEPOINT import_row"); !s.ok()) return s.error();
    Result<RowOutcome> outcome = write_row(conn, row, want, before, operator_name);
    if (!outcome.ok()) {
      if (outcome.error().kind == ErrorKind::kUnavailable) return outcome.error();
      if (Status s = exec_ok(conn, "ROLLBACK TO SAVEPOINT import_row"); !s.ok()) return s.error();
      reject(without_sqlstate(outcome.error().message));
      continue;
    }
    if (Status s = exec_ok(conn, "RELEASE SAVEPOINT import_row"); !s.ok()) return s.error();
    switch (outcome->kind) {
      case RowOutcome::kCreated:
        ++report.created;
        break;
      case RowOutcome::kUpdated:
        ++report.updated;
        break;
      case RowOutcome::kUnchanged:
        ++report.unchanged;
        break;
    }
    if (outcome->terminated_now) ++report.terminated;
    report.badges_revoked += outcome->badges_revoked;
  }

  Result<Rows> absent = conn.exec(
      "SELECT count(*) FROM people WHERE kind <> 'visitor' AND external_id <> ALL($1::text[])",
      {text_array(ids)});
  if (!absent.ok()) return absent.error();
  report.not_in_file = static_cast<int>(absent->int64(0, 0));
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "people imported",
      {{"created", std::to_string(report.created)},
       {"updated", std::to_string(report.updated)},
       {"unchanged", std::to_string(report.unchanged)},
       {"rejected", std::to_string(report.rejected.size())},
       {"badges_revoked", std::to_string(report.badges_revoked)},
       {"operator", std::string(operator_name)}});
  return report;
}

Result<bool> add_person_to_group(Connection& conn, std::string_view external_id,
                                 std::string_view group_id, std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<PersonRef> person = person_for_update(conn, external_id);
  if (!person.ok()) return person.error();
  Result<Rows> group =
      conn.exec("SELECT 1 FROM person_groups WHERE id = $1 FOR KEY SHARE", {std::string(group_id)});
  if (!group.ok()) return group.error();
  if (group->size() == 0) {
    return make_error(ErrorKind::kNotFound, "unknown group '" + std::string(group_id) +
                                                "'; groups are defined in the site file");
  }
  if (group_id == site::kVisitorsGroup) {
    return make_error(ErrorKind::kConflict,
                      "group 'visitors' is reserved: every checked-in visitor is in it, and "
                      "nobody else");
  }
  if (person->kind == "visitor") {
    // The trigger refuses it too; this says it without the SQL decoration.
    return make_error(ErrorKind::kConflict,
                      "person '" + std::string(external_id) + "' (" + person->name +
                          ") is a visitor and cannot be a member of group '" +
                          std::string(group_id) +
                          "': visitors pass only with their visitor pass, escorted by their host");
  }
  Result<Rows> r = conn.exec(
      "INSERT INTO person_group_members (person_id, group_id) VALUES ($1::bigint, $2) "
      "ON CONFLICT DO NOTHING",
      {int_param(person->id), std::string(group_id)});
  if (!r.ok()) return r.error();
  if (r->affected() == 0) return false;
  if (Status s = detail::record_person_change(conn, person->id, external_id, operator_name,
                                              "groups +" + std::string(group_id));
      !s.ok()) {
    return s.error();
  }
  if (Status s = tx->commit(); !s.ok()) return s.error();
  return true;
}

Result<bool> remove_person_from_group(Connection& conn, std::string_view external_id,
                                      std::string_view group_id, std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<PersonRef> person = person_for_update(conn, external_id);
  if (!person.ok()) return person.error();
  Result<Rows> r =
      conn.exec("DELETE FROM person_group_members WHERE person_id = $1::bigint AND group_id = $2",
                {int_param(person->id), std::string(group_id)});
  if (!r.ok()) return r.error();
  if (r->affected() == 0) return false;
  if (Status s = detail::record_person_change(conn, person->id, external_id, operator_name,
                                              "groups -" + std::string(group_id));
      !s.ok()) {
    return s.error();
  }
  if (Status s = tx->commit(); !s.ok()) return s.error();
  return true;
}

Result<std::optional<PersonRow>> find_person(Connection& conn, std::string_view external_id) {
  Result<Rows> r =
      conn.exec("SELECT id FROM people WHERE external_id = $1", {std::string(external_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<PersonRow>();
  return load_person(conn, r->int64(0, 0));
}

Result<std::int64_t> forgive_passback(Connection& conn, std::string_view external_id,
                                      std::string_view operator_name, std::string_view reason) {
  if (operator_name.empty()) {
    return make_error(ErrorKind::kInvalidInput, "a forgive action needs an operator");
  }
  Result<Rows> r = conn.exec(
      "INSERT INTO passback_forgiveness (person_id, operator, reason) "
      "SELECT id, $2, $3 FROM people WHERE external_id = $1 RETURNING id",
      {std::string(external_id), std::string(operator_name), std::string(reason)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no person '" + std::string(external_id) + "'");
  }
  return r->int64(0, 0);
}

}  // namespace gatehouse::db
