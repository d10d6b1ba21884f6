// Shared by the access-store tests (db_access_test): a migrated database with
// the example site applied, people and badges made through the real stores,
// small query helpers, and LISTEN/NOTIFY on a second connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "db/pg.h"

namespace gatehouse::test_support {

// A fresh database, migrated, with docs/examples/site.toml (example_site())
// applied. `conninfo` opens more connections to it.
struct AccessDb {
  std::string conninfo;
  db::Connection conn;
};
AccessDb access_database();

db::Connection connect(const std::string& conninfo);

// The first cell of a one-row query (fails the test on error).
std::string query_text(db::Connection& c, const std::string& sql, const db::Params& params = {});
std::int64_t query_int(db::Connection& c, const std::string& sql, const db::Params& params = {});

// Imports one employee ("active") with these groups; returns their person id.
std::int64_t add_employee(db::Connection& c, const std::string& external_id,
                          const std::string& name, const std::vector<std::string>& groups);

// Issues a badge to the person (external id) and, when `activate`, activates
// it; returns the badge id.
std::int64_t add_badge(db::Connection& c, const std::string& external_id,
                       const std::string& credential, bool activate = true);

// The wall clock now, whole seconds (what the server's now() is close to).
WallTime wall_now();
inline WallTime plus_days(WallTime t, int days) {
  return WallTime{t.us + std::int64_t{days} * 86'400'000'000};
}
inline WallTime plus_minutes(WallTime t, int minutes) {
  return WallTime{t.us + std::int64_t{minutes} * 60'000'000};
}

// LISTEN on gatehouse_access with this connection.
void listen(db::Connection& listener);

// Payloads delivered to `listener`: waits up to `first` for the first one,
// then collects what else arrives until `quiet` passes without any.
std::vector<std::string> notifications(
    db::Connection& listener, std::chrono::milliseconds first = std::chrono::seconds(5),
    std::chrono::milliseconds quiet = std::chrono::milliseconds(200));

}  // namespace gatehouse::test_support
