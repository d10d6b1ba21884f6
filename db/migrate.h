// Schema migrations: numbered SQL files (db/migrations/NNNN_name.sql) compiled
// into the binary, applied in order inside one transaction, each recorded in
// schema_migrations. Rules: docs/schema.md, "Migrations".
//
// Thread safety: functions use the caller's connection only; concurrent
// migrate() calls on one database (two controllers starting at once) are
// serialised by a transaction-scoped advisory lock.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct Migration {
  int version;             // NNNN from the file name, 1, 2, ... without gaps
  std::string_view name;   // the file name without ".sql", e.g. "0001_site"
  std::string_view sql;    // the file's text
};

// Every migration this binary knows, in version order (generated at build time).
std::span<const Migration> migrations();

// The highest version this binary knows.
int latest_schema_version();

// The highest version recorded in the database; 0 when there is no
// schema_migrations table (a fresh database).
Result<int> schema_version(Connection& conn);

// Brings the database to latest_schema_version() in one transaction and
// returns the version after. A database already there is left untouched.
// kConflict when the database is newer than this binary knows.
Result<int> migrate(Connection& conn);

}  // namespace gatehouse::db
