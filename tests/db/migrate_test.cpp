// Migrations against a real server: fresh, repeated, concurrent, refused.
#include "db/migrate.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/pg_test_cluster.h"

namespace gatehouse::db {
namespace {

using test_support::fresh_database;

Connection connect(const std::string& conninfo) {
  Result<Connection> c = Connection::open(conninfo);
  if (!c.ok()) ADD_FAILURE() << c.error().to_string();
  return std::move(c).value();
}

// schema_migrations as text, including each row's xmin: equal text means no
// row was added, removed or rewritten.
std::string migration_rows(Connection& c) {
  Result<Rows> r = c.exec(
      "SELECT string_agg(xmin::text || '|' || version || '|' || name || '|' || applied_at, ';' "
      "ORDER BY version) FROM schema_migrations");
  if (!r.ok()) return "error: " + r.error().to_string();
  return std::string(r->text(0, 0));
}

TEST(Migrate, EmbeddedMigrationsAreNumberedWithoutGaps) {
  const auto all = migrations();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
    std::string prefix = std::to_string(all[i].version);
    prefix = std::string(4 - std::min<std::size_t>(4, prefix.size()), '0') + prefix + "_";
    EXPECT_EQ(all[i].name.substr(0, prefix.size()), prefix);
    EXPECT_FALSE(all[i].sql.empty());
  }
  EXPECT_EQ(latest_schema_version(), all.back().version);
  EXPECT_EQ(all[0].name, "0001_site");
}

TEST(Migrate, FreshDatabaseReachesLatestWithEveryTable) {
  Connection c = connect(fresh_database());
  Result<int> before = schema_version(c);
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  EXPECT_EQ(*before, 0);

  Result<int> v = migrate(c);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(*v, latest_schema_version());
  Result<int> after = schema_version(c);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, latest_schema_version());

  for (const char* table :
       {"schema_migrations", "site", "schedules", "schedule_intervals", "schedule_holidays",
        "areas", "area_restricted_groups", "person_groups", "access_levels", "access_level_groups",
        "access_level_doors", "io_modules", "readers", "cameras", "doors", "door_cameras",
        "site_revisions"}) {
    Result<Rows> r = c.exec("SELECT to_regclass($1) IS NOT NULL", {table});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->boolean(0, 0)) << "missing table " << table;
  }
  Result<Rows> rows = c.exec("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), latest_schema_version());
  EXPECT_EQ(rows->text(0, 1), "0001_site");
}

TEST(Migrate, EveryTableAndColumnIsCommented) {
  Connection c = connect(fresh_database());
  ASSERT_TRUE(migrate(c).ok());
  Result<Rows> tables = c.exec(R"sql(
      SELECT cls.relname FROM pg_class cls JOIN pg_namespace ns ON ns.oid = cls.relnamespace
      WHERE ns.nspname = 'public' AND cls.relkind = 'r'
        AND obj_description(cls.oid, 'pg_class') IS NULL)sql");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->size(), 0) << "uncommented table " << tables->text(0, 0);
  Result<Rows> columns = c.exec(R"sql(
      SELECT cls.relname || '.' || att.attname FROM pg_attribute att
      JOIN pg_class cls ON cls.oid = att.attrelid
      JOIN pg_namespace ns ON ns.oid = cls.relnamespace
      WHERE ns.nspname = 'public' AND cls.relkind = 'r' AND att.attnum > 0
        AND NOT att.attisdropped AND col_description(cls.oid, att.attnum) IS NULL)sql");
  ASSERT_TRUE(columns.ok());
  for (int i = 0; i < columns->size(); ++i) ADD_FAILURE() << "uncommented column " << columns->text(i, 0);
}

TEST(Migrate, SecondRunIsANoOp) {
  Connection c = connect(fresh_database());
  ASSERT_TRUE(migrate(c).ok());
  const std::string rows = migration_rows(c);
  ASSERT_FALSE(rows.empty());
  Result<int> again = migrate(c);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, latest_schema_version());
  EXPECT_EQ(migration_rows(c), rows);
}

TEST(Migrate, ConcurrentStartsAreSerialised) {
  const std::string conninfo = fresh_database();
  Connection a = connect(conninfo);
  Connection b = connect(conninfo);
  // Hold the lock-taking transaction open in a third session until both
  // migrations are waiting, so they really do start together.
  Connection blocker = connect(conninfo);
  ASSERT_TRUE(blocker.exec("BEGIN").ok());
  ASSERT_TRUE(blocker.exec("SELECT pg_advisory_xact_lock(1195463749, 1)").ok());
  Result<int> ra = make_error(ErrorKind::kInternal, "not run");
  Result<int> rb = make_error(ErrorKind::kInternal, "not run");
  std::thread ta([&a, &ra] { ra = migrate(a); });
  std::thread tb([&b, &rb] { rb = migrate(b); });
  for (int i = 0; i < 200; ++i) {
    Result<Rows> waiting = blocker.exec(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    if (waiting.ok() && waiting->int64(0, 0) == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(blocker.exec("COMMIT").ok());
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.error().to_string();
  ASSERT_TRUE(rb.ok()) << rb.error().to_string();
  EXPECT_EQ(*ra, latest_schema_version());
  EXPECT_EQ(*rb, latest_schema_version());
  Result<Rows> n = a.exec("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->int64(0, 0), latest_schema_version());
}

TEST(Migrate, NewerDatabaseIsRefusedAndLeftAlone) {
  Connection c = connect(fresh_database());
  ASSERT_TRUE(migrate(c).ok());
  const int future = latest_schema_version() + 1;
  ASSERT_TRUE(c.exec("INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                     {std::to_string(future), "9999_from_the_future"})
                  .ok());
  const std::string rows = migration_rows(c);

  Result<int> v = migrate(c);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(v.error().message,
            "database schema version " + std::to_string(future) +
                " is newer than this gatehouse (knows up to " +
                std::to_string(latest_schema_version()) +
                "); upgrade gatehouse before starting it on this database");
  EXPECT_EQ(migration_rows(c), rows);
  Result<int> now = schema_version(c);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*now, future);
}

TEST(Migrate, SchemaEnforcesRanges) {
  Connection c = connect(fresh_database());
  ASSERT_TRUE(migrate(c).ok());
  ASSERT_TRUE(c.exec("INSERT INTO schedules (id, name) VALUES ('s', '')").ok());
  // Each of these breaks one CHECK; none may be stored.
  for (const char* sql : {
           "INSERT INTO schedule_intervals VALUES ('s', 8, 0, 60)",
           "INSERT INTO schedule_intervals VALUES ('s', 0, 600, 600)",
           "INSERT INTO schedule_intervals VALUES ('s', 0, 0, 1441)",
           "INSERT INTO io_modules VALUES ('io', '', 'tcp://x:1', 248, 100, 200, 2)",
           "INSERT INTO readers VALUES ('r', '', 'tcp://x:1', 127, true, false)",
           "INSERT INTO cameras VALUES ('c', '', 'rtsp://x', 3651)",
           "INSERT INTO areas VALUES ('a', '', false, 'sometimes')",
           "INSERT INTO site VALUES (false, 'x', 'UTC')",
       }) {
    Result<Rows> r = c.exec(sql);
    EXPECT_FALSE(r.ok()) << sql;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kConflict) << sql << ": " << r.error().message;
    }
  }
  EXPECT_TRUE(c.exec("INSERT INTO schedule_intervals VALUES ('s', 7, 0, 1440)").ok());
}

}  // namespace
}  // namespace gatehouse::db
