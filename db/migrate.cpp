#include "db/migrate.h"

#include <string>

#include "base/log.h"

namespace gatehouse::db {
namespace {

// pg_advisory_xact_lock(int, int) key: a class for Gatehouse ("GATE" in
// ASCII) and one number per purpose. Held until the transaction ends.
constexpr const char* kLockClass = "1195463749";
constexpr const char* kLockMigrate = "1";

constexpr std::string_view kCreateTable = R"sql(
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY CHECK (version > 0),
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS 'One row per applied migration (db/migrations/NNNN_name.sql); the highest version is the schema version.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number NNNN.';
COMMENT ON COLUMN schema_migrations.name IS 'Migration file name without .sql, e.g. 0001_site.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied (transaction start time), UTC.';
)sql";

Error with_context(const Error& e, std::string_view context) {
  return make_error(e.kind, std::string(context) + ": " + e.message);
}

Result<bool> has_table(Connection& conn) {
  Result<Rows> r = conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!r.ok()) return r.error();
  return r->boolean(0, 0);
}

}  // namespace

int latest_schema_version() {
  const std::span<const Migration> all = migrations();
  return all.empty() ? 0 : all.back().version;
}

Result<int> schema_version(Connection& conn) {
  Result<bool> exists = has_table(conn);
  if (!exists.ok()) return exists.error();
  if (!*exists) return 0;
  Result<Rows> r = conn.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!r.ok()) return r.error();
  return static_cast<int>(r->int64(0, 0));
}

Result<int> migrate(Connection& conn) {
  Result<Transaction> tx = Transaction::begin(conn);
  if (!tx.ok()) return tx.error();
  // Two controllers starting on one database at once: the second waits here
  // and then finds nothing left to do.
  Result<Rows> locked =
      conn.exec("SELECT pg_advisory_xact_lock($1::integer, $2::integer)", {kLockClass, kLockMigrate});
  if (!locked.ok()) return locked.error();

  Result<bool> exists = has_table(conn);
  if (!exists.ok()) return exists.error();
  int current = 0;
  if (*exists) {
    Result<int> v = schema_version(conn);
    if (!v.ok()) return v.error();
    current = *v;
  }
  const int latest = latest_schema_version();
  if (current > latest) {
    // An older binary must not run against a schema it does not understand:
    // it could write rows that a newer invariant forbids.
    return make_error(ErrorKind::kConflict,
                      "database schema version " + std::to_string(current) +
                          " is newer than this gatehouse (knows up to " + std::to_string(latest) +
                          "); upgrade gatehouse before starting it on this database");
  }
  if (current == latest) return current;  // the Transaction rolls back nothing

  if (!*exists) {
    if (Status s = conn.exec_script(kCreateTable); !s.ok()) {
      return with_context(s.error(), "creating schema_migrations");
    }
  }
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    if (Status s = conn.exec_script(m.sql); !s.ok()) {
      return with_context(s.error(), "migration " + std::string(m.name));
    }
    Result<Rows> recorded =
        conn.exec("INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                  {std::to_string(m.version), std::string(m.name)});
    if (!recorded.ok()) return with_context(recorded.error(), "recording " + std::string(m.name));
  }
  if (Status s = tx->commit(); !s.ok()) return s.error();
  log(LogLevel::kInfo, "db", "schema migrated",
      {{"from", std::to_string(current)}, {"to", std::to_string(latest)}});
  return latest;
}

}  // namespace gatehouse::db
