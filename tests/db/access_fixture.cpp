#include "tests/db/access_fixture.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/select.h>

#include "db/badge_store.h"
#include "db/migrate.h"
#include "db/people_store.h"
#include "db/site_store.h"
#include "tests/db/example_site.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse::test_support {

db::Connection connect(const std::string& conninfo) {
  Result<db::Connection> c = db::Connection::open(conninfo);
  if (!c.ok()) ADD_FAILURE() << c.error().to_string();
  return std::move(c).value();
}

AccessDb access_database() {
  std::string conninfo = fresh_database();
  db::Connection c = connect(conninfo);
  Result<int> v = db::migrate(c);
  if (!v.ok()) ADD_FAILURE() << v.error().to_string();
  Result<db::ApplyReport> applied = db::apply_site(c, example_site(), "cli:test", "");
  if (!applied.ok()) ADD_FAILURE() << applied.error().to_string();
  return AccessDb{std::move(conninfo), std::move(c)};
}

std::string query_text(db::Connection& c, const std::string& sql, const db::Params& params) {
  Result<db::Rows> r = c.exec(sql, params);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.error().to_string();
    return "";
  }
  if (r->size() != 1) {
    ADD_FAILURE() << sql << ": " << r->size() << " rows";
    return "";
  }
  return std::string(r->text(0, 0));
}

std::int64_t query_int(db::Connection& c, const std::string& sql, const db::Params& params) {
  Result<db::Rows> r = c.exec(sql, params);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.error().to_string();
    return -1;
  }
  if (r->size() != 1) {
    ADD_FAILURE() << sql << ": " << r->size() << " rows";
    return -1;
  }
  return r->int64(0, 0);
}

std::int64_t add_employee(db::Connection& c, const std::string& external_id,
                          const std::string& name, const std::vector<std::string>& groups) {
  db::PersonImportRow row;
  row.line = 2;
  row.external_id = external_id;
  row.name = name;
  row.groups = groups;
  Result<db::ImportReport> r = db::import_people(c, {row}, "cli:test");
  if (!r.ok()) {
    ADD_FAILURE() << r.error().to_string();
    return -1;
  }
  if (!r->rejected.empty()) ADD_FAILURE() << r->rejected[0].reason;
  return query_int(c, "SELECT id FROM people WHERE external_id = $1", {external_id});
}

std::int64_t add_badge(db::Connection& c, const std::string& external_id,
                       const std::string& credential, bool activate) {
  Result<std::int64_t> id = db::issue_badge(c, external_id, credential, "h10301", 12, 1234,
                                            std::nullopt, std::nullopt, "alice", "new starter");
  if (!id.ok()) {
    ADD_FAILURE() << id.error().to_string();
    return -1;
  }
  if (activate) {
    Result<db::BadgeState> s = db::transition_badge(c, *id, db::BadgeAction::kActivate, "alice",
                                                    "handed over", wall_now());
    if (!s.ok()) ADD_FAILURE() << s.error().to_string();
  }
  return *id;
}

WallTime wall_now() {
  const std::int64_t us = SystemClock::instance().wall().us;
  return WallTime{us - us % 1'000'000};
}

void listen(db::Connection& listener) {
  Result<db::Rows> r = listener.exec("LISTEN gatehouse_access");
  if (!r.ok()) ADD_FAILURE() << r.error().to_string();
}

std::vector<std::string> notifications(db::Connection& listener, std::chrono::milliseconds first,
                                       std::chrono::milliseconds quiet) {
  std::vector<std::string> out;
  PGconn* conn = listener.raw();
  auto collect = [&out, conn] {
    while (PGnotify* n = PQnotifies(conn)) {
      out.emplace_back(n->extra);
      PQfreemem(n);
    }
  };
  collect();  // some may have arrived with an earlier command's reply
  const auto deadline_first = std::chrono::steady_clock::now() + first;
  auto deadline = out.empty() ? deadline_first : std::chrono::steady_clock::now() + quiet;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    const int fd = PQsocket(conn);
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fd, &fds);
    timeval tv{static_cast<time_t>(left.count() / 1'000'000),
               static_cast<suseconds_t>(left.count() % 1'000'000)};
    const int ready = ::select(fd + 1, &fds, nullptr, nullptr, &tv);
    if (ready < 0) {
      ADD_FAILURE() << "select failed";
      break;
    }
    if (ready == 0) break;
    if (PQconsumeInput(conn) == 0) {
      ADD_FAILURE() << "PQconsumeInput: " << PQerrorMessage(conn);
      break;
    }
    const std::size_t before = out.size();
    collect();
    if (out.size() > before) deadline = std::chrono::steady_clock::now() + quiet;
  }
  return out;
}

}  // namespace gatehouse::test_support
