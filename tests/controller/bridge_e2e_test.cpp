// The bridge's simulator and the controller as separate processes, as in the
// demo: virtual readers (OSDP, Secure Channel) and a virtual door module
// (Modbus) driven by `gatehouse-bridge simulate`, decided and recorded by
// `gatehouse serve`; then each process restarted in the middle of traffic.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "lab_site.h"
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

// Bridge and controller restarts take longer than the default wait.
template <typename F>
bool eventually(F probe) {
  return testing::eventually(probe, std::chrono::seconds(30));
}
using Env = std::map<std::string, std::optional<std::string>>;

// A loopback port that was free a moment ago (the simulator binds it next).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

class BridgeEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::make_temp_dir("gh-bridge");
    reader_port_ = free_port();
    modbus_port_ = free_port();
    control_port_ = free_port();
    testing::LabSite lab;
    lab.modbus_url = "tcp://127.0.0.1:" + std::to_string(modbus_port_);
    lab.reader_url = "tcp://127.0.0.1:" + std::to_string(reader_port_);
    lab.secure = true;
    lab.module_timing = "poll_ms = 50\n";
    std::ofstream(dir_ / "site.toml") << testing::lab_site_toml(lab);
    std::ofstream(dir_ / "hr.csv") << "id,name,groups\nS1,Sam Staff,staff\n";
    conninfo_ = test_support::fresh_database();
    env_ = {{"GATEHOUSE_DB", conninfo_}};
    ASSERT_EQ(run_gatehouse({"site", "apply", (dir_ / "site.toml").string()}, env_).first, 0);
    ASSERT_EQ(run_gatehouse({"people", "import", (dir_ / "hr.csv").string()}, env_).first, 0);
    ASSERT_EQ(run_gatehouse({"badge", "issue", "S1", "--card", "H10301:5:500", "--activate"}, env_).first, 0);
    start_bridge();
    start_controller();
    install_mode();
  }
  void TearDown() override {
    controller_.reset();
    bridge_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start_bridge() {
    bridge_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(GATEHOUSE_BIN_DIR) + "/gatehouse-bridge", "simulate",
                                 (dir_ / "site.toml").string(), "--control",
                                 "127.0.0.1:" + std::to_string(control_port_)},
        Env{});
    ASSERT_TRUE(eventually([&] { return sim("status").status == 200; })) << bridge_->output();
  }
  void start_controller() {
    controller_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(GATEHOUSE_BIN_DIR) + "/gatehouse", "serve", "--listen",
                                 "127.0.0.1:0", "--var", (dir_ / "var").string()},
        env_);
    ASSERT_TRUE(controller_->wait_for_output("msg=listening", 60s)) << controller_->output();
    port_ = testing::listening_port(controller_->output());
  }
  void install_mode() {
    auto [code, out] = run_gatehouse({"reader", "install-mode", "r-lab", "on", "--operator", "test"}, env_);
    ASSERT_EQ(code, 0) << out;
  }
  testing::HttpResult sim(const std::string& command) {
    return http_post("127.0.0.1", control_port_, "/command", command);
  }
  json reader() {
    auto r = http_get("127.0.0.1", port_, "/api/v1/readers");
    if (r.status != 200) return json::object();
    auto list = json::parse(r.body)["readers"];
    return list.empty() ? json::object() : list[0];
  }
  bool reader_secure_online() { return reader().value("online", false) && reader().value("secure", false); }
  std::int64_t count(const std::string& sql) { return testing::query_count(conninfo_, sql); }
  std::int64_t granted() {
    return count("SELECT count(*) FROM access_events WHERE reader_id = 'r-lab' AND reason = 'granted'");
  }

  std::filesystem::path dir_;
  int reader_port_ = 0, modbus_port_ = 0, control_port_ = 0, port_ = 0;
  std::string conninfo_;
  Env env_;
  std::unique_ptr<ChildProcess> bridge_;
  std::unique_ptr<ChildProcess> controller_;
};

TEST_F(BridgeEndToEnd, BadgeTrafficThroughTheBridgeSurvivesRestarts) {
  ASSERT_TRUE(eventually([&] { return reader_secure_online(); })) << reader().dump() << controller_->output();

  // A badge at the simulated reader: decided, the lock released, the person walks through.
  ASSERT_EQ(sim("present r-lab H10301:5:500").status, 200);
  ASSERT_TRUE(eventually([&] { return granted() == 1; })) << controller_->output();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM door_events WHERE kind = 'contact_opened'") >= 1 &&
           count("SELECT count(*) FROM door_events WHERE kind = 'contact_closed'") >= 1;
  })) << bridge_->output();

  // A forced door at the simulator is an alarm at the controller.
  ASSERT_EQ(sim("force lab-door").status, 200);
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM alarms WHERE kind = 'forced_open'") == 1; }))
      << controller_->output();

  // The controller restarts in the middle of traffic: the reader keeps its key,
  // the controller reloads it from the database, and cards flow again.
  controller_->signal(SIGTERM);
  ASSERT_EQ(controller_->wait_exit(30s), std::optional<int>(0));
  ASSERT_EQ(sim("present r-lab H10301:5:500").status, 200);  // nobody is listening for it
  start_controller();
  ASSERT_TRUE(eventually([&] { return reader_secure_online(); })) << reader().dump() << controller_->output();
  ASSERT_EQ(sim("present r-lab H10301:5:500").status, 200);
  ASSERT_TRUE(eventually([&] { return granted() >= 2; })) << controller_->output();

  // The bridge restarts: its virtual reader is factory-fresh (install mode
  // again), so the controller cannot open a session with the stored key until
  // an operator enables install mode; then it is set up again.
  bridge_->signal(SIGTERM);
  ASSERT_TRUE(bridge_->wait_exit(30s).has_value());
  start_bridge();
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(reader().value("secure", false)) << "a reader with another key never gets a session";
  install_mode();
  ASSERT_TRUE(eventually([&] { return reader_secure_online(); })) << reader().dump() << controller_->output();
  const auto before = granted();
  ASSERT_EQ(sim("present r-lab H10301:5:500").status, 200);
  ASSERT_TRUE(eventually([&] { return granted() > before; })) << controller_->output();
}

}  // namespace
}  // namespace gatehouse
