// db::listen / db::wait_for_notifications, the path by which every running
// controller hears a committed change, and the anti-passback forgive action.
#include <gtest/gtest.h>

#include "db/access_data.h"
#include "db/notify.h"
#include "db/people_store.h"
#include "tests/db/access_fixture.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using test_support::access_database;
using test_support::connect;

std::vector<std::string> payloads(const std::vector<db::Notification>& ns) {
  std::vector<std::string> out;
  for (const auto& n : ns) {
    EXPECT_EQ(n.channel, db::kAccessChannel);
    out.push_back(n.payload);
  }
  return out;
}

TEST(Notify, DeliveredAtCommitAndTimesOutQuietly) {
  auto adb = access_database();
  db::Connection listener = connect(adb.conninfo);
  ASSERT_TRUE(db::listen(listener, db::kAccessChannel).ok());

  auto quiet = db::wait_for_notifications(listener, 50ms);
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->empty());

  std::int64_t person = test_support::add_employee(adb.conn, "E1", "Ann", {"staff"});
  std::vector<std::string> seen;
  for (int i = 0; i < 20 && seen.empty(); ++i) {
    auto got = db::wait_for_notifications(listener, 250ms);
    ASSERT_TRUE(got.ok()) << got.error().message;
    seen = payloads(*got);
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), "person:" + std::to_string(person));
}

TEST(Notify, LostConnectionIsUnavailable) {
  auto adb = access_database();
  db::Connection listener = connect(adb.conninfo);
  ASSERT_TRUE(db::listen(listener, db::kAccessChannel).ok());
  auto pid = listener.exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(adb.conn.exec("SELECT pg_terminate_backend($1)", {std::string(pid->text(0, 0))}).ok());
  Result<std::vector<db::Notification>> got = std::vector<db::Notification>{};
  for (int i = 0; i < 20 && got.ok(); ++i) got = db::wait_for_notifications(listener, 250ms);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kUnavailable);
}

TEST(Forgive, RecordsWhoAndNotifiesEveryController) {
  auto adb = access_database();
  std::int64_t person = test_support::add_employee(adb.conn, "E7", "Raj", {"staff"});
  db::Connection listener = connect(adb.conninfo);
  ASSERT_TRUE(db::listen(listener, db::kAccessChannel).ok());

  auto id = db::forgive_passback(adb.conn, "E7", "desk-1", "tailgated by a colleague, checked on camera");
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto row = adb.conn.exec("SELECT person_id, operator, reason FROM passback_forgiveness WHERE id = $1",
                           {std::to_string(*id)});
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1);
  EXPECT_EQ(row->int64(0, 0), person);
  EXPECT_EQ(row->text(0, 1), "desk-1");

  std::vector<std::string> seen;
  for (int i = 0; i < 20 && seen.empty(); ++i) {
    auto got = db::wait_for_notifications(listener, 250ms);
    ASSERT_TRUE(got.ok());
    seen = payloads(*got);
  }
  EXPECT_EQ(seen, std::vector<std::string>{"forgive:" + std::to_string(person)});

  auto unknown = db::forgive_passback(adb.conn, "nobody", "desk-1", "x");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  auto anonymous = db::forgive_passback(adb.conn, "E7", "", "x");
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().kind, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace gatehouse

namespace gatehouse {
namespace {

TEST(VisitorsGroup, NobodyIsAMemberByRow) {
  auto adb = test_support::access_database();
  test_support::add_employee(adb.conn, "E9", "Eve", {"staff"});
  auto added = db::add_person_to_group(adb.conn, "E9", "visitors", "desk");
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("group 'visitors' is reserved"), std::string::npos);
  // Raw SQL is held to it too.
  auto raw = adb.conn.exec(
      "INSERT INTO person_group_members (person_id, group_id) SELECT id, 'visitors' FROM people "
      "WHERE external_id = 'E9'");
  ASSERT_FALSE(raw.ok());
  EXPECT_NE(raw.error().message.find("reserved"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse
