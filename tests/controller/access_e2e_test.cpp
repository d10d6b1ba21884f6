// Access decisions end to end: the real `gatehouse` command line writes people,
// badges, visits and lockdowns into a real PostgreSQL, and two real controller
// processes on that database decide badge reads (simulated readers over HTTP)
// from their snapshots, kept current by LISTEN/NOTIFY, and store every event.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "db/cluster.h"
#include "db/pg.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChildProcess;
using testing::http_get;
using testing::http_post;
using testing::run_gatehouse;
using Env = std::map<std::string, std::optional<std::string>>;

const std::string kGatehouse = std::string(GATEHOUSE_BIN_DIR) + "/gatehouse";
const std::string kExampleSite = std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml";

// A controller process with simulated readers and a var dir of its own.
class Controller {
 public:
  Controller(const Env& env, const std::filesystem::path& var)
      : process_({kGatehouse, "serve", "--listen", "127.0.0.1:0", "--simulated-readers", "--var",
                  var.string()},
                 env) {
    EXPECT_TRUE(process_.wait_for_output("msg=listening", 60s)) << process_.output();
    port_ = testing::listening_port(process_.output());
  }
  ~Controller() {
    process_.signal(SIGTERM);
    process_.wait_exit(30s);
  }

  // Waits until the snapshot holds `badges` badges (bounded).
  bool wait_for_badges(int badges) {
    const std::string want = "gatehouse_access_badges " + std::to_string(badges) + "\n";
    for (int i = 0; i < 600; ++i) {
      if (http_get("127.0.0.1", port_, "/metrics").body.find(want) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  json present(const std::string& reader, const json& read) {
    auto r = http_post("127.0.0.1", port_, "/api/v1/readers/" + reader + "/present", read.dump());
    if (r.status != 200) return json{{"http_status", r.status}, {"body", r.body}};
    return json::parse(r.body);
  }
  std::string reason(const std::string& reader, const std::string& card) {
    return present(reader, {{"card", card}}).value("reason", "?");
  }
  // Presents until the reason is `want` (bounded); returns the seconds it took, or -1.
  double until_reason(const std::string& reader, const std::string& card, const std::string& want,
                      std::chrono::seconds limit = 15s) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (reason(reader, card) == want) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
  std::string metrics() { return http_get("127.0.0.1", port_, "/metrics").body; }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  int port_ = 0;
};

std::string write_file(const std::filesystem::path& dir, const std::string& name,
                       const std::string& text) {
  auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

std::int64_t count_events(const std::string& conninfo, const std::string& reason) {
  auto conn = db::Connection::open(conninfo);
  if (!conn.ok()) return -1;
  auto r = conn->exec("SELECT count(*) FROM access_events WHERE reason = $1", {reason});
  return r.ok() ? r->int64(0, 0) : -1;
}

TEST(AccessEndToEnd, TwoControllersOneDatabase) {
  const std::string conninfo = test_support::fresh_database();
  const Env env{{"GATEHOUSE_DB", conninfo}};
  auto dir = test_support::make_temp_dir("gh-access");

  ASSERT_EQ(run_gatehouse({"site", "apply", kExampleSite}, env).first, 0);
  std::string hr = write_file(dir, "hr.csv",
                              "employee_id,name,groups,status\n"
                              "IT1,Ida Tech,it;staff,active\n"
                              "IT2,Ian Tech,it;staff,active\n"
                              "ST1,Sam Staff,staff,active\n"
                              "BAD,,staff,active\n"
                              "VIS,Sneaky,visitors,active\n");
  auto [imported, import_out] = run_gatehouse({"people", "import", hr, "--operator", "hr-sync"}, env);
  EXPECT_EQ(imported, 3) << import_out;  // 3: some rows were rejected
  EXPECT_NE(import_out.find("3 created"), std::string::npos) << import_out;
  EXPECT_NE(import_out.find("hr.csv:5: rejected: person 'BAD' has an empty name"), std::string::npos)
      << import_out;
  EXPECT_NE(import_out.find("hr.csv:6: rejected: group 'visitors' is reserved"), std::string::npos)
      << import_out;

  for (auto [person, card] : {std::pair{"IT1", "H10301:10:1001"}, std::pair{"IT2", "H10301:10:1002"},
                              std::pair{"ST1", "H10301:10:1003"}}) {
    auto [code, out] = run_gatehouse({"badge", "issue", person, "--card", card, "--activate",
                                      "--operator", "facilities"},
                                     env);
    ASSERT_EQ(code, 0) << out;
  }
  auto [dup, dup_out] = run_gatehouse({"badge", "issue", "ST1", "--card", "H10301:10:1001"}, env);
  EXPECT_NE(dup, 0);
  EXPECT_NE(dup_out.find("26:"), std::string::npos) << dup_out;

  Controller a(env, dir / "a");
  Controller b(env, dir / "b");
  ASSERT_TRUE(a.wait_for_badges(3)) << a.process().output();
  ASSERT_TRUE(b.wait_for_badges(3)) << b.process().output();

  // Decisions a person would recognise.
  json granted = b.present("r-office-in", {{"card", "H10301:10:1001"}});
  EXPECT_EQ(granted["granted"], true) << granted.dump();
  EXPECT_EQ(granted["reason"], "granted");
  EXPECT_EQ(granted["door"], "office-door");
  EXPECT_EQ(b.reason("r-it-in", "H10301:10:1003"), "restricted_area");  // staff at the IT room
  EXPECT_EQ(b.reason("r-it-in", "H10301:10:1002"), "pin_required");      // card-and-pin door
  EXPECT_EQ(b.reason("r-office-in", "H10301:99:4242"), "unknown_credential");
  json bad = b.present("r-office-in", {{"bits", "10000000000000000000000000"}});
  EXPECT_EQ(bad["reason"], "bad_format") << bad.dump();
  EXPECT_EQ(b.present("r-nowhere", {{"card", "H10301:10:1001"}})["http_status"], 404);
  EXPECT_EQ(b.present("r-office-in", {{"bits", "01x"}})["http_status"], 400);

  // A revocation written by one process (the command line) reaches both controllers.
  auto [revoked, revoke_out] =
      run_gatehouse({"badge", "revoke", "1", "--reason", "reported lost", "--operator", "desk"}, env);
  ASSERT_EQ(revoked, 0) << revoke_out;
  double b_seconds = b.until_reason("r-office-in", "H10301:10:1001", "badge_revoked");
  double a_seconds = a.until_reason("r-office-in", "H10301:10:1001", "badge_revoked");
  EXPECT_GE(b_seconds, 0.0) << "controller B never denied the revoked badge";
  EXPECT_GE(a_seconds, 0.0) << "controller A never denied the revoked badge";
  std::cout << "revocation reached controller B after " << b_seconds << " s\n";
  auto [reactivate, reactivate_out] = run_gatehouse({"badge", "activate", "1"}, env);
  EXPECT_NE(reactivate, 0);
  EXPECT_NE(reactivate_out.find("revoked"), std::string::npos) << reactivate_out;

  // Soft anti-passback into the office, and the desk's forgive reaching the controller.
  EXPECT_EQ(b.reason("r-office-in", "H10301:10:1002"), "granted");
  EXPECT_EQ(b.reason("r-office-in", "H10301:10:1002"), "granted_passback_logged");
  ASSERT_EQ(run_gatehouse({"people", "forgive", "IT2", "--reason", "left by the fire door"}, env).first, 0);
  EXPECT_GE(b.until_reason("r-office-in", "H10301:10:1002", "granted"), 0.0);

  // Lockdown: only IT passes, then lifted.
  ASSERT_EQ(run_gatehouse({"lockdown", "start", "--allow", "it", "--operator", "desk"}, env).first, 0);
  EXPECT_GE(b.until_reason("r-office-in", "H10301:10:1003", "lockdown"), 0.0);
  ASSERT_EQ(run_gatehouse({"lockdown", "lift", "--operator", "desk"}, env).first, 0);
  auto lifted = std::chrono::steady_clock::now() + 15s;
  while (b.reason("r-office-in", "H10301:10:1003") == "lockdown" && std::chrono::steady_clock::now() < lifted) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(b.reason("r-office-in", "H10301:10:1003"), "lockdown");

  // An operator locks the office door to everyone but IT, then back to normal.
  auto [locked, locked_out] = run_gatehouse(
      {"door", "mode", "office-door", "lock", "--allow", "it", "--operator", "desk", "--reason", "audit"}, env);
  ASSERT_EQ(locked, 0) << locked_out;
  EXPECT_NE(locked_out.find("only group 'it' passes (set by desk)"), std::string::npos) << locked_out;
  EXPECT_GE(b.until_reason("r-office-in", "H10301:10:1003", "door_locked"), 0.0);
  EXPECT_NE(b.reason("r-office-in", "H10301:10:1002"), "door_locked") << "IT still passes";
  ASSERT_EQ(run_gatehouse({"door", "mode", "office-door", "normal", "--operator", "desk"}, env).first, 0);
  auto unlocked_by = std::chrono::steady_clock::now() + 15s;
  while (b.reason("r-office-in", "H10301:10:1003") == "door_locked" &&
         std::chrono::steady_clock::now() < unlocked_by) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(b.reason("r-office-in", "H10301:10:1003"), "door_locked");
  auto [bad_door, bad_door_out] = run_gatehouse({"door", "mode", "back-door", "lock"}, env);
  EXPECT_NE(bad_door, 0);
  EXPECT_NE(bad_door_out.find("no door 'back-door'"), std::string::npos) << bad_door_out;

  // A visitor: never the IT room; the pass dies at check-out.
  auto [registered, reg_out] = run_gatehouse(
      {"visitor", "register", "--name", "Vera Visitor", "--host", "IT2", "--operator", "reception"}, env);
  ASSERT_EQ(registered, 0) << reg_out;
  EXPECT_NE(reg_out.find("visit 1: Vera Visitor"), std::string::npos) << reg_out;
  auto [checked_in, in_out] = run_gatehouse({"visitor", "check-in", "1", "--card", "H10301:20:1"}, env);
  ASSERT_EQ(checked_in, 0) << in_out;
  auto [listed, list_out] = run_gatehouse({"visitor", "list"}, env);
  EXPECT_NE(list_out.find("Vera Visitor"), std::string::npos) << list_out;
  EXPECT_NE(list_out.find("1 visitors on site now"), std::string::npos) << list_out;
  EXPECT_GE(b.until_reason("r-it-in", "H10301:20:1", "restricted_area"), 0.0);
  ASSERT_EQ(run_gatehouse({"visitor", "check-out", "1"}, env).first, 0);
  EXPECT_GE(b.until_reason("r-it-in", "H10301:20:1", "badge_revoked"), 0.0);

  // HR terminates IT2: every badge revoked in the same import, denied everywhere.
  std::string leaver = write_file(dir, "leaver.csv", "employee_id,name,groups,status\nIT2,Ian Tech,it;staff,terminated\n");
  auto [terminated, term_out] = run_gatehouse({"people", "import", leaver}, env);
  EXPECT_EQ(terminated, 0) << term_out;
  EXPECT_NE(term_out.find("1 terminated (1 badges revoked)"), std::string::npos) << term_out;
  EXPECT_GE(a.until_reason("r-office-in", "H10301:10:1002", "badge_revoked"), 0.0);

  // Every decision is an event in PostgreSQL, with its reason.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (count_events(conninfo, "restricted_area") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(count_events(conninfo, "restricted_area"), 2);
  EXPECT_GE(count_events(conninfo, "unknown_credential"), 1);
  EXPECT_GE(count_events(conninfo, "bad_format"), 1);
  EXPECT_GE(count_events(conninfo, "granted_passback_logged"), 1);
  auto conn = db::Connection::open(conninfo);
  ASSERT_TRUE(conn.ok());
  auto unknown = conn->exec(
      "SELECT raw_bits, door_id, reader_id FROM access_events WHERE reason = 'unknown_credential'");
  ASSERT_TRUE(unknown.ok());
  ASSERT_GE(unknown->size(), 1);
  EXPECT_EQ(unknown->text(0, 0).size(), 26u) << "the raw bits of an unknown card are logged";
  EXPECT_EQ(unknown->text(0, 1), "office-door");
  EXPECT_EQ(unknown->text(0, 2), "r-office-in");
  EXPECT_NE(b.metrics().find("gatehouse_access_decisions_total{reason=\"restricted_area\"}"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

// The doors keep deciding while PostgreSQL is down, and no event is lost: the
// journal holds them until the database is back.
TEST(AccessEndToEnd, DecidesWithTheDatabaseDownAndStoresEveryEventLater) {
  auto dir = test_support::make_temp_dir("gh-outage");
  db::ClusterOptions options;
  options.var_dir = dir / "pg-var";
  auto cluster = db::EmbeddedCluster::ensure_started(options);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  const Env env{{"GATEHOUSE_DB", cluster->conninfo()}};
  ASSERT_EQ(run_gatehouse({"site", "apply", kExampleSite}, env).first, 0);
  std::string hr = write_file(dir, "hr.csv", "id,name,groups\nIT1,Ida Tech,it\n");
  ASSERT_EQ(run_gatehouse({"people", "import", hr}, env).first, 0);
  ASSERT_EQ(run_gatehouse({"badge", "issue", "IT1", "--card", "C1000-48:1234:56789", "--activate"}, env).first, 0);

  {
    Controller c(env, dir / "controller");
    ASSERT_TRUE(c.wait_for_badges(1)) << c.process().output();
    EXPECT_EQ(c.reason("r-office-in", "C1000-48:1234:56789"), "granted");

    ASSERT_TRUE(cluster->stop(/*force=*/true).ok());
    constexpr int kDuringOutage = 25;
    for (int i = 0; i < kDuringOutage; ++i) {
      EXPECT_EQ(c.reason("r-main-in", "C1000-48:1234:56789"), "granted") << "decision " << i;
    }
    ASSERT_TRUE(c.process().wait_for_output("cannot store events; they stay journaled", 30s))
        << c.process().output();

    auto restarted = db::EmbeddedCluster::ensure_started(options);
    ASSERT_TRUE(restarted.ok()) << restarted.error().message;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (c.metrics().find("gatehouse_events_pending 0\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_NE(c.metrics().find("gatehouse_events_pending 0\n"), std::string::npos) << c.metrics();
    auto conn = db::Connection::open(restarted->conninfo());
    ASSERT_TRUE(conn.ok());
    auto stored = conn->exec("SELECT count(*) FROM access_events WHERE door_id = 'main-entrance'");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->int64(0, 0), kDuringOutage) << "every decision made during the outage is stored, once";
  }
  db::ClusterOptions again = options;
  auto last = db::EmbeddedCluster::ensure_started(again);
  if (last.ok()) {
    EXPECT_TRUE(last->stop(true).ok());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gatehouse
