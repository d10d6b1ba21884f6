// Door events, alarms (open until acknowledged, occurrences while open) and door
// modes (every controller told by NOTIFY), against a real PostgreSQL.
#include <gtest/gtest.h>

#include "db/access_data.h"
#include "db/door_store.h"
#include "db/notify.h"
#include "tests/db/access_fixture.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using test_support::access_database;
using test_support::query_int;

TEST(DoorEvents, StoredOnceEvenWhenReplayed) {
  auto db = access_database();
  std::vector<db::DoorEventRow> batch = {
      {WallTime{1'700'000'000'000'001}, "office-door", "contact_opened", "", std::nullopt, "j1:1"},
      {WallTime{1'700'000'000'500'000}, "office-door", "mode_changed", "locked (nobody)",
       std::string("desk"), "j1:2"}};
  ASSERT_TRUE(db::insert_door_events(db.conn, batch).ok());
  ASSERT_TRUE(db::insert_door_events(db.conn, batch).ok());  // a journal replay
  EXPECT_EQ(query_int(db.conn, "SELECT count(*) FROM door_events"), 2);
  auto back = db::query_door_events(db.conn, "office-door", 10);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].kind, "mode_changed");  // newest first
  EXPECT_EQ((*back)[0].operator_name, std::optional<std::string>("desk"));
  EXPECT_EQ((*back)[1].occurred_at.us, 1'700'000'000'000'001);
  EXPECT_FALSE(db::query_door_events(db.conn, "", 0).ok());
}

TEST(Alarms, OpenUntilAcknowledgedWithOccurrences) {
  auto db = access_database();
  const WallTime t0{1'700'000'000'000'000};
  auto first = db::raise_alarm(db.conn, "main-entrance", "forced_open", t0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(db::clear_alarm_condition(db.conn, "main-entrance", "forced_open", WallTime{t0.us + 5'000'000}).ok());
  auto again = db::raise_alarm(db.conn, "main-entrance", "forced_open", WallTime{t0.us + 60'000'000});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first) << "the same condition while open adds an occurrence";

  auto open = db::list_alarms(db.conn, /*open_only=*/true, 10);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].occurrences, 2);
  EXPECT_EQ((*open)[0].raised_at, t0);
  EXPECT_FALSE((*open)[0].condition_cleared_at.has_value()) << "raised again: condition present";

  auto acked = db::acknowledge_alarm(db.conn, *first, "desk-2", "checked camera: wind", WallTime{t0.us + 90'000'000});
  ASSERT_TRUE(acked.ok()) << acked.error().message;
  EXPECT_EQ(acked->acknowledged_by, "desk-2");
  EXPECT_EQ(acked->ack_note, "checked camera: wind");
  auto twice = db::acknowledge_alarm(db.conn, *first, "desk-3", "", WallTime{t0.us + 91'000'000});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  EXPECT_NE(twice.error().message.find("desk-2"), std::string::npos);
  EXPECT_EQ(db::acknowledge_alarm(db.conn, 9999, "desk", "", t0).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(db::acknowledge_alarm(db.conn, *first, "", "", t0).error().kind, ErrorKind::kInvalidInput);

  // After acknowledgement the next occurrence is a new alarm.
  auto fresh = db::raise_alarm(db.conn, "main-entrance", "forced_open", WallTime{t0.us + 120'000'000});
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(*fresh, *first);
  EXPECT_EQ(db::list_alarms(db.conn, true, 10)->size(), 1u);
  EXPECT_EQ(db::list_alarms(db.conn, false, 10)->size(), 2u);
  EXPECT_EQ(db::raise_alarm(db.conn, "main-entrance", "gremlins", t0).error().kind,
            ErrorKind::kInvalidInput);
}

TEST(DoorModes, SetClearAndEveryControllerHears) {
  auto db = access_database();
  db::Connection listener = test_support::connect(db.conninfo);
  ASSERT_TRUE(db::listen(listener, db::kAccessChannel).ok());

  db::DoorModeRow locked;
  locked.door_id = "office-door";
  locked.mode = db::DoorModeKind::kLocked;
  locked.allowed_group = "it";
  locked.operator_name = "desk";
  locked.reason = "audit in progress";
  ASSERT_TRUE(db::set_door_mode(db.conn, locked).ok());
  auto modes = db::load_door_modes(db.conn);
  ASSERT_TRUE(modes.ok());
  ASSERT_EQ(modes->size(), 1u);
  EXPECT_EQ((*modes)[0].mode, db::DoorModeKind::kLocked);
  EXPECT_EQ((*modes)[0].allowed_group, std::optional<std::string>("it"));
  EXPECT_EQ((*modes)[0].operator_name, "desk");

  std::vector<std::string> seen;
  for (int i = 0; i < 20 && seen.empty(); ++i) {
    auto got = db::wait_for_notifications(listener, 250ms);
    ASSERT_TRUE(got.ok());
    for (const auto& n : *got) seen.push_back(n.payload);
  }
  EXPECT_EQ(seen, std::vector<std::string>{"door:office-door"});

  db::DoorModeRow normal;
  normal.door_id = "office-door";
  normal.operator_name = "desk";
  ASSERT_TRUE(db::set_door_mode(db.conn, normal).ok());
  auto now_normal = db::load_door_mode(db.conn, "office-door");
  ASSERT_TRUE(now_normal.ok());
  EXPECT_FALSE(now_normal->has_value());

  db::DoorModeRow ghost = locked;
  ghost.door_id = "back-door";
  EXPECT_EQ(db::set_door_mode(db.conn, ghost).error().kind, ErrorKind::kNotFound);
  db::DoorModeRow bad_group = locked;
  bad_group.allowed_group = "wizards";
  EXPECT_FALSE(db::set_door_mode(db.conn, bad_group).ok());
  db::DoorModeRow anonymous = locked;
  anonymous.operator_name = "";
  EXPECT_FALSE(db::set_door_mode(db.conn, anonymous).ok());
  // The schema holds a locked door to no `until`, an unlocked one to no group.
  auto raw = db.conn.exec(
      "INSERT INTO door_modes (door_id, mode, allowed_group, operator) VALUES ('main-entrance', 'unlocked', 'it', 'x')");
  EXPECT_FALSE(raw.ok());
}

}  // namespace
}  // namespace gatehouse

#include "db/site_store.h"
#include "tests/db/example_site.h"

namespace gatehouse {
namespace {

// A module model's register map is stored and loaded like the rest of the site.
TEST(RegisterMap, StoredAndLoadedWithTheSite) {
  auto db = access_database();
  site::Site s = test_support::example_site();
  s.io_modules[0].coil_base = 16;
  s.io_modules[0].input_base = 10001;
  s.io_modules[0].input_count = 24;
  auto applied = db::apply_site(db.conn, s, "desk", std::string(64, 'c'));
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->updated, 1);
  auto loaded = db::load_site(db.conn);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, db::canonical_site(s));
}

}  // namespace
}  // namespace gatehouse
