#include "db/lockdown_store.h"

#include "base/log.h"
#include "db/store_support.h"

namespace gatehouse::db {
namespace {

// Writes the lockdown row and its record, then reads the row back.
Result<LockdownRow> write(Connection& conn, bool active, std::string_view allowed_group,
                          std::string_view operator_name) {
  const Param group = allowed_group.empty() ? Param() : Param(std::string(allowed_group));
  // `since` is when the current state began: kept when only the group changes.
  Result<Rows> u = conn.exec(
      "UPDATE lockdown SET since = CASE WHEN active = $1::boolean THEN since ELSE now() END, "
      "active = $1::boolean, allowed_group_id = $2, operator = $3",
      {active ? "true" : "false", group, std::string(operator_name)});
  if (!u.ok()) return u.error();
  Result<Rows> rec = conn.exec(
      "INSERT INTO lockdown_changes (operator, active, allowed_group_id) "
      "VALUES ($1, $2::boolean, $3)",
      {std::string(operator_name), active ? "true" : "false", group});
  if (!rec.ok()) return rec.error();
  return load_lockdown(conn);
}

}  // namespace

Result<LockdownRow> start_lockdown(Connection& conn, std::string_view allowed_group,
                                   std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<Rows> locked = conn.exec("SELECT 1 FROM lockdown FOR UPDATE");
  if (!locked.ok()) return locked.error();
  if (!allowed_group.empty()) {
    Result<Rows> g =
        conn.exec("SELECT 1 FROM person_groups WHERE id = $1", {std::string(allowed_group)});
    if (!g.ok()) return g.error();
    if (g->size() == 0) {
      return make_error(ErrorKind::kNotFound, "unknown group '" + std::string(allowed_group) +
                                                  "'; groups are defined in the site file");
    }
  }
  Result<LockdownRow> row = write(conn, true, allowed_group, operator_name);
  if (!row.ok()) return row.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kWarn, "db", "lockdown started",
      {{"allowed_group", std::string(allowed_group)}, {"operator", std::string(operator_name)}});
  return row;
}

Result<LockdownRow> lift_lockdown(Connection& conn, std::string_view operator_name) {
  if (Status s = detail::require("operator", operator_name); !s.ok()) return s.error();
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  Result<Rows> current = conn.exec("SELECT active FROM lockdown FOR UPDATE");
  if (!current.ok()) return current.error();
  if (current->size() == 0 || !current->boolean(0, 0)) {
    return make_error(ErrorKind::kConflict, "no lockdown is in force");
  }
  Result<LockdownRow> row = write(conn, false, "", operator_name);
  if (!row.ok()) return row.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kWarn, "db", "lockdown lifted", {{"operator", std::string(operator_name)}});
  return row;
}

}  // namespace gatehouse::db
