// The site store against a real server: apply, idempotence, exact change
// counts, round trip, and all-or-nothing failure.
#include "db/site_store.h"

#include <gtest/gtest.h>

#include "db/migrate.h"
#include "site/parser.h"
#include "tests/db/example_site.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse::db {
namespace {

using test_support::example_site;

const char* const kSiteTables[] = {
    "site",          "schedules",           "schedule_intervals", "schedule_holidays",
    "person_groups", "areas",               "area_restricted_groups", "io_modules",
    "readers",       "cameras",             "doors",              "door_cameras",
    "access_levels", "access_level_groups", "access_level_doors", "site_revisions"};

const std::string kSha(64, 'a');

Connection migrated_database() {
  Result<Connection> c = Connection::open(test_support::fresh_database());
  if (!c.ok()) ADD_FAILURE() << c.error().to_string();
  Result<int> v = migrate(*c);
  if (!v.ok()) ADD_FAILURE() << v.error().to_string();
  return std::move(c).value();
}

// Every row of every site table with its xmin: equal snapshots mean no row
// was inserted, deleted or rewritten in between.
std::string snapshot(Connection& c) {
  std::string out;
  for (const char* table : kSiteTables) {
    Result<Rows> r = c.exec(std::string("SELECT string_agg(t.xmin::text || ' ' || t::text, ';' "
                                        "ORDER BY t::text) FROM ") + table + " AS t");
    if (!r.ok()) return "error: " + r.error().to_string();
    out += table;
    out += ": ";
    out += r->text(0, 0);
    out += "\n";
  }
  return out;
}

std::int64_t count(Connection& c, const std::string& table) {
  Result<Rows> r = c.exec("SELECT count(*) FROM " + table);
  return r.ok() ? r->int64(0, 0) : -1;
}

TEST(SiteStore, LoadBeforeAnyApplyIsNotFound) {
  Connection c = migrated_database();
  Result<site::Site> s = load_site(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kNotFound);
}

TEST(SiteStore, ExampleSiteAppliesAndLoadsBackEqual) {
  Connection c = migrated_database();
  const site::Site example = example_site();
  Result<ApplyReport> r = apply_site(c, example, "cli:test", kSha);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->changed());
  // 1 site + 2 schedules + 14 intervals + 3 holidays + 2 groups + 4 areas +
  // 1 restriction + 2 io modules + 3 readers + 3 cameras + 3 doors +
  // 4 door cameras + 3 levels + 3 level groups + 5 level doors.
  EXPECT_EQ(r->inserted, 58);
  EXPECT_EQ(r->updated, 0);
  EXPECT_EQ(r->deleted, 0);
  EXPECT_GT(r->revision, 0);
  EXPECT_EQ(count(c, "doors"), 3);
  EXPECT_EQ(count(c, "schedule_intervals"), 14);

  Result<Rows> rev = c.exec(
      "SELECT operator, file_sha256, rows_inserted, doors, cameras, schedules FROM site_revisions "
      "WHERE id = $1::bigint",
      {std::to_string(r->revision)});
  ASSERT_TRUE(rev.ok());
  ASSERT_EQ(rev->size(), 1);
  EXPECT_EQ(rev->text(0, 0), "cli:test");
  EXPECT_EQ(rev->text(0, 1), kSha);
  EXPECT_EQ(rev->int64(0, 2), 58);
  EXPECT_EQ(rev->int64(0, 3), 3);
  EXPECT_EQ(rev->int64(0, 4), 3);
  EXPECT_EQ(rev->int64(0, 5), 2);

  Result<site::Site> loaded = load_site(c);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, canonical_site(example));
  // Sanity: the comparison can fail — the example is not already canonical.
  EXPECT_NE(example, canonical_site(example));
  // A door's cameras keep file order, not id order.
  const site::Door* it_door = nullptr;
  for (const auto& d : loaded->doors) {
    if (d.id == "it-storage-door") it_door = &d;
  }
  ASSERT_NE(it_door, nullptr);
  EXPECT_EQ(it_door->cameras, (std::vector<std::string>{"cam-it", "cam-office"}));
}

// The real example file through the real parser, not only the hand-built copy.
TEST(SiteStore, ParsedExampleFileRoundTrips) {
  const std::string path = std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml";
  site::ParseOutcome parsed = site::parse_site_file(path);
  for (const auto& p : parsed.problems) ADD_FAILURE() << site::format_problem(p, path);
  ASSERT_TRUE(parsed.site.has_value());
  Connection c = migrated_database();
  Result<ApplyReport> r = apply_site(c, *parsed.site, "cli:test", kSha);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->changed());
  EXPECT_EQ(count(c, "doors"), 3);
  EXPECT_EQ(count(c, "readers"), 3);
  Result<site::Site> loaded = load_site(c);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, canonical_site(*parsed.site));
  const std::string before = snapshot(c);
  Result<ApplyReport> again = apply_site(c, *parsed.site, "cli:test", kSha);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(snapshot(c), before);
}

TEST(SiteStore, ApplyingTheSameSiteTwiceChangesNothing) {
  Connection c = migrated_database();
  ASSERT_TRUE(apply_site(c, example_site(), "alice", kSha).ok());
  const std::string before = snapshot(c);
  Result<ApplyReport> again = apply_site(c, example_site(), "bob", kSha);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(again->inserted + again->updated + again->deleted, 0);
  EXPECT_EQ(again->revision, 0);
  EXPECT_EQ(snapshot(c), before) << "no row rewritten (xmin unchanged), no revision row";
  EXPECT_EQ(count(c, "site_revisions"), 1);

  // Same content in a different file order is still no change.
  site::Site shuffled = example_site();
  std::reverse(shuffled.doors.begin(), shuffled.doors.end());
  std::reverse(shuffled.access_levels[0].doors.begin(), shuffled.access_levels[0].doors.end());
  Result<ApplyReport> reordered = apply_site(c, shuffled, "carol", "");
  ASSERT_TRUE(reordered.ok());
  EXPECT_FALSE(reordered->changed());
  EXPECT_EQ(snapshot(c), before);
}

TEST(SiteStore, ModifiedSiteReportsExactCounts) {
  Connection c = migrated_database();
  Result<ApplyReport> first = apply_site(c, example_site(), "alice", kSha);
  ASSERT_TRUE(first.ok());

  site::Site s = example_site();
  s.name = "Büro \"Nord\", {x} 'quoted'";                      // site: 1 update
  s.groups[0].name = "Everyone";                               // person_groups: 1 update
  s.cameras.push_back({"cam-yard", "Yard", "rtsp://127.0.0.1:8554/yard", 7});  // 1 insert
  s.doors[0].cameras.push_back("cam-yard");                    // door_cameras: 1 insert
  s.schedules[0].holidays.pop_back();                          // schedule_holidays: 1 delete
  s.access_levels.pop_back();  // it-office: 1 level + 1 group link + 2 door links deleted
  s.doors[1].held_open_seconds = 25;                           // doors: 1 update
  s.doors[1].exit_button.reset();                              // same row, still 1 update
  s.doors[2].cameras = {"cam-office", "cam-it"};               // door_cameras: 2 position updates
  Result<ApplyReport> r = apply_site(c, s, "alice", std::string(64, 'B'));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->inserted, 2);
  EXPECT_EQ(r->updated, 5);
  EXPECT_EQ(r->deleted, 5);
  EXPECT_GT(r->revision, first->revision);

  Result<site::Site> loaded = load_site(c);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, canonical_site(s));
  EXPECT_EQ(loaded->name, "Büro \"Nord\", {x} 'quoted'");

  Result<Rows> rev = c.exec(
      "SELECT file_sha256, rows_inserted, rows_updated, rows_deleted, access_levels, cameras "
      "FROM site_revisions WHERE id = $1::bigint",
      {std::to_string(r->revision)});
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(rev->text(0, 0), std::string(64, 'b')) << "stored lowercase";
  EXPECT_EQ(rev->int64(0, 1), 2);
  EXPECT_EQ(rev->int64(0, 2), 5);
  EXPECT_EQ(rev->int64(0, 3), 5);
  EXPECT_EQ(rev->int64(0, 4), 3);
  EXPECT_EQ(rev->int64(0, 5), 4);

  // And back to the original: the inverse counts.
  Result<ApplyReport> back = apply_site(c, example_site(), "alice", kSha);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->inserted, 5);
  EXPECT_EQ(back->updated, 5);
  EXPECT_EQ(back->deleted, 2);
  Result<site::Site> original = load_site(c);
  ASSERT_TRUE(original.ok());
  EXPECT_EQ(*original, canonical_site(example_site()));
}

TEST(SiteStore, AFailedApplyLeavesTheDatabaseUnchanged) {
  Connection c = migrated_database();
  ASSERT_TRUE(apply_site(c, example_site(), "alice", kSha).ok());
  const std::string before = snapshot(c);

  // A CHECK violation in a table synced after several changed ones.
  site::Site bad_range = example_site();
  bad_range.name = "renamed first";
  bad_range.groups.push_back({"contractors", "Contractors"});
  bad_range.cameras[1].retention_days = 0;
  Result<ApplyReport> r1 = apply_site(c, bad_range, "alice", kSha);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().kind, ErrorKind::kConflict);
  EXPECT_NE(r1.error().message.find("cameras_retention_days_check"), std::string::npos)
      << r1.error().message;
  EXPECT_EQ(snapshot(c), before);

  // A dangling reference, caught by a deferred foreign key at COMMIT.
  site::Site dangling = example_site();
  dangling.name = "renamed again";
  dangling.doors[0].reader = "r-nowhere";
  Result<ApplyReport> r2 = apply_site(c, dangling, "alice", kSha);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::kConflict);
  EXPECT_NE(r2.error().message.find("foreign key"), std::string::npos) << r2.error().message;
  EXPECT_EQ(snapshot(c), before);

  // Duplicate ids are refused before they reach the server's puzzling error.
  site::Site duplicate = example_site();
  duplicate.readers.push_back(duplicate.readers[0]);
  Result<ApplyReport> r3 = apply_site(c, duplicate, "alice", kSha);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r3.error().message.find("duplicate readers entry (r-main-in)"), std::string::npos)
      << r3.error().message;
  EXPECT_EQ(snapshot(c), before);

  // A value the column type refuses.
  site::Site bad_date = example_site();
  bad_date.schedules[0].holidays.push_back("2026-02-30");
  Result<ApplyReport> r4 = apply_site(c, bad_date, "alice", kSha);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().kind, ErrorKind::kInvalidInput) << r4.error().message;
  EXPECT_EQ(snapshot(c), before);

  Result<site::Site> loaded = load_site(c);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, canonical_site(example_site()));
  EXPECT_TRUE(c.healthy());
}

TEST(SiteStore, BadSha256IsRefused) {
  Connection c = migrated_database();
  for (const std::string& sha : {std::string("abc"), std::string(64, 'g'), std::string(65, 'a')}) {
    Result<ApplyReport> r = apply_site(c, example_site(), "alice", sha);
    ASSERT_FALSE(r.ok()) << sha;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  }
  EXPECT_EQ(count(c, "site"), 0);
}

}  // namespace
}  // namespace gatehouse::db
