// Readers end to end: a real `gatehouse serve` speaks OSDP over TCP to our
// virtual reader (readers/osdp_pd.h) hosted by the test on loopback, decides
// its card reads, shows the decision on the reader, and records tamper and
// Secure Channel events; the reader's own key is set in install mode and
// stored sealed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "lab_site.h"
#include "controller/access/pin.h"
#include "db/badge_store.h"
#include "db/pg.h"
#include "readers/osdp_pd.h"
#include "readers/wiegand.h"
#include "tests/support/modbus_server.h"
#include "tests/support/osdp_reader_host.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChildProcess;
using testing::http_get;
using testing::eventually;
using testing::run_gatehouse;
namespace osdp = readers::osdp;
using Env = std::map<std::string, std::optional<std::string>>;

class ReadersEndToEnd : public ::testing::Test {
 protected:
  void start(bool secure, bool install_mode, bool card_and_pin = false) {
    auto server = test_support::ModbusServer::tcp({test_support::ModbusServer::Unit{}});
    ASSERT_TRUE(server.ok());
    modbus_ = std::move(server).value();
    modbus_->set_input(1, 0, true);
    osdp::PdSettings pd;
    pd.address = 1;
    pd.install_mode = install_mode;
    pd.require_secure = secure;
    reader_ = std::make_unique<test_support::OsdpReaderHost>(std::vector<osdp::PdSettings>{pd});
    conninfo_ = test_support::fresh_database();
    env_ = {{"GATEHOUSE_DB", conninfo_}};
    dir_ = test_support::make_temp_dir("gh-readers");
    testing::LabSite lab;
    lab.modbus_url = modbus_->url();
    lab.reader_url = "tcp://127.0.0.1:" + std::to_string(reader_->port(0));
    lab.secure = secure;
    lab.card_and_pin = card_and_pin;
    lab.exit_button = false;
    std::ofstream(dir_ / "site.toml") << testing::lab_site_toml(lab);
    std::ofstream(dir_ / "hr.csv") << "id,name,groups\nS1,Sam Staff,staff\n";
    ASSERT_EQ(run_gatehouse({"site", "apply", (dir_ / "site.toml").string()}, env_).first, 0);
    ASSERT_EQ(run_gatehouse({"people", "import", (dir_ / "hr.csv").string()}, env_).first, 0);
    ASSERT_EQ(run_gatehouse({"badge", "issue", "S1", "--card", "H10301:5:500", "--activate"}, env_).first, 0);
    if (card_and_pin) {
      auto conn = db::Connection::open(conninfo_);
      ASSERT_TRUE(conn.ok());
      auto hash = controller::access::hash_pin("2468");
      ASSERT_TRUE(hash.ok());
      ASSERT_TRUE(db::set_pin_hash(*conn, 1, *hash, "test").ok());
    }
    if (install_mode) {
      auto [code, out] = run_gatehouse({"reader", "install-mode", "r-lab", "on", "--operator", "installer"}, env_);
      ASSERT_EQ(code, 0) << out;
    }
    serve_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{std::string(GATEHOUSE_BIN_DIR) + "/gatehouse", "serve", "--listen",
                                 "127.0.0.1:0", "--var", (dir_ / "var").string()},
        env_);
    ASSERT_TRUE(serve_->wait_for_output("msg=listening", 60s)) << serve_->output();
    port_ = testing::listening_port(serve_->output());
  }
  void TearDown() override {
    if (serve_) {
      serve_->signal(SIGTERM);
      EXPECT_EQ(serve_->wait_exit(30s), std::optional<int>(0)) << serve_->output();
    }
    serve_.reset();
    reader_.reset();
    std::filesystem::remove_all(dir_);
  }
  json reader_status() {
    auto r = http_get("127.0.0.1", port_, "/api/v1/readers");
    if (r.status != 200) return json::object();
    auto list = json::parse(r.body)["readers"];
    return list.empty() ? json::object() : list[0];
  }
  std::int64_t count(const std::string& sql) { return testing::query_count(conninfo_, sql); }
  void present(std::uint64_t facility, std::uint64_t number) {
    auto card = readers::encode_card(readers::CardFormat::kH10301, facility, number);
    ASSERT_TRUE(card.ok());
    reader_->with_pd(0, [&](osdp::PeripheralDevice& pd) { pd.present_card(*card); return 0; });
  }

  std::unique_ptr<test_support::ModbusServer> modbus_;
  std::unique_ptr<test_support::OsdpReaderHost> reader_;
  std::string conninfo_;
  Env env_;
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> serve_;
  int port_ = 0;
};

TEST_F(ReadersEndToEnd, CardReadDecidedShownOnTheReaderAndRecorded) {
  start(/*secure=*/false, /*install_mode=*/false);
  ASSERT_TRUE(eventually([&] { return reader_status().value("online", false); }))
      << reader_status().dump() << serve_->output();

  present(5, 500);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM access_events WHERE reader_id = 'r-lab' AND reason = 'granted'") == 1;
  })) << serve_->output();
  ASSERT_TRUE(eventually([&] { return modbus_->coil(1, 0); })) << "the grant reached the lock";
  ASSERT_TRUE(eventually([&] {
    return reader_->with_pd(0, [](osdp::PeripheralDevice& pd) {
      return pd.last_led() && pd.last_led()->temp_on_color == 2 && pd.last_buzzer() &&
             pd.last_buzzer()->count == 1;
    });
  })) << "green LED and one beep";

  present(9, 999);  // not enrolled
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM access_events WHERE reason = 'unknown_credential'") == 1;
  }));
  ASSERT_TRUE(eventually([&] {
    return reader_->with_pd(0, [](osdp::PeripheralDevice& pd) {
      return pd.last_led() && pd.last_led()->temp_on_color == 1 && pd.last_buzzer() &&
             pd.last_buzzer()->count == 2;
    });
  })) << "red LED and two beeps";

  reader_->with_pd(0, [](osdp::PeripheralDevice& pd) { pd.set_tamper(true); return 0; });
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM alarms WHERE kind = 'reader_tamper' AND door_id = 'lab-door'") == 1;
  })) << serve_->output();
}

TEST_F(ReadersEndToEnd, InstallModeSetsTheReadersOwnKeyThenCardsFlowSecurely) {
  start(/*secure=*/true, /*install_mode=*/true);
  // SCBK-D handshake, KEYSET with a fresh key, the key stored sealed, install mode ended.
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM reader_keys WHERE reader_id = 'r-lab'") == 1; },
                         30s))
      << serve_->output();
  EXPECT_EQ(count("SELECT count(*) FROM reader_install_mode"), 0);
  auto pd_key = reader_->with_pd(0, [](osdp::PeripheralDevice& pd) { return pd.scbk(); });
  ASSERT_TRUE(pd_key.has_value());
  EXPECT_NE(*pd_key, osdp::kScbkDefault) << "the reader now holds its own key";
  // The key never appears in the log.
  std::string hex;
  for (auto b : *pd_key) {
    static const char* kHex = "0123456789abcdef";
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  EXPECT_EQ(serve_->output().find(hex), std::string::npos);

  ASSERT_TRUE(eventually([&] {
    json s = reader_status();
    return s.value("online", false) && s.value("secure", false);
  }, 30s)) << reader_status().dump() << serve_->output();
  present(5, 500);
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM access_events WHERE reader_id = 'r-lab' AND reason = 'granted'") == 1;
  })) << serve_->output();
}

// A card-and-PIN door: the decision waits for the PIN typed on the reader's keypad.
TEST_F(ReadersEndToEnd, CardAndPinWaitsForTheKeypad) {
  start(/*secure=*/false, /*install_mode=*/false, /*card_and_pin=*/true);
  ASSERT_TRUE(eventually([&] { return reader_status().value("online", false); })) << serve_->output();
  // The reader's identity, as discovered, is recorded.
  EXPECT_FALSE(reader_status().value("identity", "").empty()) << reader_status().dump();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM door_events WHERE kind = 'reader_identified'") >= 1;
  })) << serve_->output();

  present(5, 500);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(count("SELECT count(*) FROM access_events"), 0) << "no decision before the PIN";
  reader_->with_pd(0, [](osdp::PeripheralDevice& pd) { return pd.keypad("2468\r").ok(); });
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM access_events WHERE reason = 'granted'") == 1;
  })) << serve_->output();

  present(5, 500);
  reader_->with_pd(0, [](osdp::PeripheralDevice& pd) { return pd.keypad("1111\r").ok(); });
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM access_events WHERE reason = 'wrong_pin'") == 1;
  })) << serve_->output();
}

}  // namespace
}  // namespace gatehouse
