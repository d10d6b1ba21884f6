// The doors end to end: a real `gatehouse serve` drives a real Modbus TCP
// server (libmodbus's own server API, tests/support/modbus_server.h) and
// records door events and alarms in a real PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "lab_site.h"
#include "db/pg.h"
#include "tests/support/modbus_server.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChildProcess;
using testing::http_get;
using testing::http_post;
using testing::eventually;
using testing::run_gatehouse;
using Env = std::map<std::string, std::optional<std::string>>;

class DoorsEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test_support::ModbusServer::tcp({test_support::ModbusServer::Unit{}});
    ASSERT_TRUE(server.ok()) << server.error().message;
    modbus_ = std::move(server).value();
    modbus_->set_input(1, 0, true);  // normally closed contact: closed circuit, door closed
    conninfo_ = test_support::fresh_database();
    env_ = {{"GATEHOUSE_DB", conninfo_}};
    dir_ = test_support::make_temp_dir("gh-doors");
    testing::LabSite lab;
    lab.modbus_url = modbus_->url();
    lab.module_timing = "unit = 1\npoll_ms = 50\ntimeout_ms = 100\nretries = 1\n";
    lab.door_timing = "unlock_seconds = 3\nheld_open_seconds = 60\n";
    std::ofstream(dir_ / "site.toml") << testing::lab_site_toml(lab);
    std::ofstream(dir_ / "hr.csv") << "id,name,groups\nS1,Sam Staff,staff\n";
    auto [applied, out] = run_gatehouse({"site", "apply", (dir_ / "site.toml").string()}, env_);
    ASSERT_EQ(applied, 0) << out;
    ASSERT_EQ(run_gatehouse({"people", "import", (dir_ / "hr.csv").string()}, env_).first, 0);
    ASSERT_EQ(run_gatehouse({"badge", "issue", "S1", "--card", "H10301:5:500", "--activate"}, env_).first, 0);
    start_controller();
  }
  // Starts (or starts again) the controller on this test's database and var dir.
  void start_controller() {
    serve_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(GATEHOUSE_BIN_DIR) + "/gatehouse", "serve", "--listen",
                                 "127.0.0.1:0", "--simulated-readers", "--var", (dir_ / "var").string()},
        env_);
    ASSERT_TRUE(serve_->wait_for_output("msg=listening", 60s)) << serve_->output();
    port_ = testing::listening_port(serve_->output());
  }
  void TearDown() override {
    if (serve_) {
      serve_->signal(SIGTERM);
      EXPECT_EQ(serve_->wait_exit(30s), std::optional<int>(0)) << serve_->output();
    }
    std::filesystem::remove_all(dir_);
  }

  json door() {
    auto r = http_get("127.0.0.1", port_, "/api/v1/doors");
    if (r.status != 200) return json::object();
    json doors = json::parse(r.body)["doors"];
    return doors.empty() ? json::object() : doors[0];
  }
  bool door_state_is(const std::string& state) { return door().value("state", "") == state; }
  std::int64_t count(const std::string& sql) { return testing::query_count(conninfo_, sql); }

  std::unique_ptr<test_support::ModbusServer> modbus_;
  std::string conninfo_;
  Env env_;
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> serve_;
  int port_ = 0;
};

TEST_F(DoorsEndToEnd, GrantUnlocksRelocksOnCloseAndAlarmsAreRecorded) {
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump() << serve_->output();
  EXPECT_EQ(door()["online"], true);
  EXPECT_FALSE(modbus_->coil(1, 0)) << "fail-secure strike: de-energised = locked";

  // A grant energises the strike; the door opens and closes; the lock relocks at once.
  auto granted = http_post("127.0.0.1", port_, "/api/v1/readers/r-lab/present", R"({"card":"H10301:5:500"})");
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(json::parse(granted.body)["reason"], "granted");
  ASSERT_TRUE(eventually([&] { return modbus_->coil(1, 0); })) << "the grant never reached the coil";
  modbus_->set_input(1, 0, false);  // the door opens
  ASSERT_TRUE(eventually([&] { return door_state_is("open"); })) << door().dump();
  modbus_->set_input(1, 0, true);  // and closes
  ASSERT_TRUE(eventually([&] { return door_state_is("locked") && !modbus_->coil(1, 0); }))
      << door().dump();

  // Forced open: the contact opens with no grant and no exit request.
  modbus_->set_input(1, 0, false);
  ASSERT_TRUE(eventually([&] { return door_state_is("forced_open"); })) << door().dump();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM alarms WHERE kind = 'forced_open' AND acknowledged_at IS NULL") == 1;
  })) << serve_->output();
  modbus_->set_input(1, 0, true);
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump();

  // The exit button releases the door for exit without an alarm.
  std::this_thread::sleep_for(500ms);  // past the contact's 400 ms debounce hold
  modbus_->set_input(1, 1, true);
  ASSERT_TRUE(eventually([&] { return modbus_->coil(1, 0); })) << "exit request never unlocked";
  modbus_->set_input(1, 1, false);
  modbus_->set_input(1, 0, false);
  ASSERT_TRUE(eventually([&] { return door_state_is("open"); })) << door().dump();
  modbus_->set_input(1, 0, true);
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump();
  EXPECT_EQ(count("SELECT count(*) FROM alarms WHERE kind = 'forced_open'"), 1)
      << "an exit is not a forced door";

  // The operator acknowledges the alarm.
  auto [listed, list_out] = run_gatehouse({"alarm", "list"}, env_);
  EXPECT_EQ(listed, 0);
  EXPECT_NE(list_out.find("forced_open  lab-door"), std::string::npos) << list_out;
  auto id = count("SELECT id FROM alarms WHERE kind = 'forced_open'");
  auto [acked, ack_out] = run_gatehouse(
      {"alarm", "ack", std::to_string(id), "--note", "cleaner, checked on camera", "--operator", "desk"}, env_);
  EXPECT_EQ(acked, 0) << ack_out;
  EXPECT_EQ(count("SELECT count(*) FROM alarms WHERE acknowledged_by = 'desk'"), 1);

  // Every input change and output command is an event.
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM door_events WHERE kind = 'lock_unlocked'") >= 2 &&
           count("SELECT count(*) FROM door_events WHERE kind = 'exit_request'") >= 1;
  })) << serve_->output();
  EXPECT_GE(count("SELECT count(*) FROM door_events WHERE kind = 'contact_opened'"), 3);
  EXPECT_GE(count("SELECT count(*) FROM door_events WHERE kind = 'door_forced_open'"), 1);
}

TEST_F(DoorsEndToEnd, SilentModuleIsOfflineUnknownAndComesBack) {
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump();
  modbus_->set_fault(test_support::ModbusServer::Fault::kSilent);
  ASSERT_TRUE(eventually([&] { return door_state_is("unknown"); })) << door().dump();
  EXPECT_EQ(door()["online"], false);
  EXPECT_EQ(door()["fail"], "secure") << "an unknown door says how it fails, never a guessed 'locked'";
  EXPECT_TRUE(door()["lock_unlocked"].is_null());
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM alarms WHERE kind = 'module_offline'") == 1;
  })) << serve_->output();

  // A badge presented meanwhile is still decided (from memory) and recorded.
  auto granted = http_post("127.0.0.1", port_, "/api/v1/readers/r-lab/present", R"({"card":"H10301:5:500"})");
  EXPECT_EQ(json::parse(granted.body)["reason"], "granted");

  modbus_->clear_fault();
  ASSERT_TRUE(eventually([&] { return door()["online"] == true; }, 30s)) << door().dump();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM door_events WHERE kind = 'module_online'") >= 1;
  })) << serve_->output();
}

TEST_F(DoorsEndToEnd, OperatorModesDriveTheLock) {
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump();
  auto [unlocked, out] = run_gatehouse({"door", "mode", "lab-door", "unlock", "--for", "60", "--operator", "desk"}, env_);
  ASSERT_EQ(unlocked, 0) << out;
  ASSERT_TRUE(eventually([&] { return modbus_->coil(1, 0) && door()["mode"] == "momentary_unlock"; }))
      << door().dump();
  ASSERT_EQ(run_gatehouse({"door", "mode", "lab-door", "lock", "--operator", "desk"}, env_).first, 0);
  ASSERT_TRUE(eventually([&] { return !modbus_->coil(1, 0) && door()["mode"] == "locked"; }))
      << door().dump();
  auto denied = http_post("127.0.0.1", port_, "/api/v1/readers/r-lab/present", R"({"card":"H10301:5:500"})");
  EXPECT_EQ(json::parse(denied.body)["reason"], "door_locked");
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM door_events WHERE kind = 'mode_changed' AND operator = 'desk'") >= 2;
  })) << serve_->output();
}

// A lockdown reaches the doors when it starts, and also when it was already in
// force before the controller started.
TEST_F(DoorsEndToEnd, LockdownReachesTheDoorsAndSurvivesARestart) {
  ASSERT_TRUE(eventually([&] { return door_state_is("locked"); })) << door().dump();
  ASSERT_EQ(run_gatehouse({"lockdown", "start", "--operator", "desk"}, env_).first, 0);
  ASSERT_TRUE(eventually([&] { return door()["mode"] == "lockdown"; })) << door().dump();

  serve_->signal(SIGTERM);
  ASSERT_EQ(serve_->wait_exit(30s), std::optional<int>(0));
  start_controller();
  ASSERT_TRUE(eventually([&] { return door()["mode"] == "lockdown"; })) << door().dump();
  auto denied = http_post("127.0.0.1", port_, "/api/v1/readers/r-lab/present", R"({"card":"H10301:5:500"})");
  EXPECT_EQ(json::parse(denied.body)["reason"], "lockdown");

  ASSERT_EQ(run_gatehouse({"lockdown", "lift", "--operator", "desk"}, env_).first, 0);
  ASSERT_TRUE(eventually([&] { return door()["mode"] == "normal"; })) << door().dump();
}

}  // namespace
}  // namespace gatehouse
