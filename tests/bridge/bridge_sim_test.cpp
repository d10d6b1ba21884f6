// gatehouse-bridge simulate: the door physics with a hand-driven clock, the
// text inputs, and the simulator on loopback driven the way the controller
// drives real hardware: a libmodbus client polls the inputs and writes the
// lock coil, an OSDP control panel (readers/osdp_cp.h) talks to the virtual
// readers over TCP. Every wait is bounded and waits for an observable change;
// no test asserts a duration.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "firmware-bridge/sim_http.h"
#include "firmware-bridge/sim_physics.h"
#include "firmware-bridge/sim_script.h"
#include "firmware-bridge/sim_simulator.h"
#include "readers/osdp_cp.h"

namespace gatehouse::bridge {
namespace {

using namespace std::chrono_literals;
namespace osdp = readers::osdp;

constexpr auto kLimit = 5s;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = kLimit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

MonoTime ms(std::int64_t v) { return MonoTime{v * 1000}; }

// ---- physics, hand-driven time -----------------------------------------------

TEST(DoorPhysics, GrantedPersonOpensThenClosesBehindThem) {
  DoorPhysics d;
  ASSERT_TRUE(d.present(ms(0)).ok());
  d.tick(ms(100), /*lock_unlocked=*/false);
  EXPECT_EQ(d.phase(), DoorPhase::kWaitingForUnlock);
  d.tick(ms(200), true);  // the controller released the lock
  EXPECT_EQ(d.phase(), DoorPhase::kOpening);
  d.tick(ms(800), true);
  EXPECT_FALSE(d.open());
  d.tick(ms(900), true);  // 0.7 s after the release
  EXPECT_TRUE(d.open());
  d.tick(ms(3300), false);
  EXPECT_TRUE(d.open());
  d.tick(ms(3400), false);  // 2.5 s after opening
  EXPECT_FALSE(d.open());
  EXPECT_EQ(d.phase(), DoorPhase::kClosed);
}

TEST(DoorPhysics, DeniedPersonWalksAwayAndTheDoorNeverOpens) {
  DoorPhysics d;
  ASSERT_TRUE(d.present(ms(0)).ok());
  for (int t = 20; t <= 3000; t += 20) {
    d.tick(ms(t), false);
    ASSERT_FALSE(d.open()) << t;
  }
  EXPECT_EQ(d.phase(), DoorPhase::kClosed);
  // A release after the person left opens nothing.
  d.tick(ms(3100), true);
  EXPECT_FALSE(d.open());
}

TEST(DoorPhysics, ExitButtonPressedThenReleasedThenDoorOpens) {
  DoorPhysics d;
  ASSERT_TRUE(d.exit(ms(0)).ok());
  d.tick(ms(10), false);
  EXPECT_TRUE(d.button_pressed());
  d.tick(ms(300), true);  // the controller released the lock on the press
  EXPECT_FALSE(d.button_pressed());
  EXPECT_EQ(d.phase(), DoorPhase::kOpening);
  d.tick(ms(600), true);
  EXPECT_TRUE(d.open());
  d.tick(ms(3100), false);
  EXPECT_EQ(d.phase(), DoorPhase::kClosed);
}

TEST(DoorPhysics, ExitWithTheLockStuckLockedLeavesByTheHandle) {
  DoorPhysics d;
  ASSERT_TRUE(d.exit(ms(0)).ok());
  d.tick(ms(300), false);
  EXPECT_EQ(d.phase(), DoorPhase::kWaitingForUnlock);
  d.tick(ms(1800), false);  // nobody released it: free egress
  EXPECT_EQ(d.phase(), DoorPhase::kOpening);
  d.tick(ms(2100), false);
  EXPECT_TRUE(d.open());
}

TEST(DoorPhysics, ForcedAndHeldDoors) {
  DoorPhysics d;
  ASSERT_TRUE(d.force(ms(0)).ok());
  EXPECT_FALSE(d.present(ms(0)).ok());
  d.tick(ms(0), false);
  EXPECT_TRUE(d.open());
  EXPECT_FALSE(d.force(ms(10)).ok());  // already open
  d.tick(ms(2990), false);
  EXPECT_TRUE(d.open());
  d.tick(ms(3000), false);
  EXPECT_FALSE(d.open());

  ASSERT_TRUE(d.hold(ms(4000), 10'000'000).ok());
  d.tick(ms(4000), false);
  EXPECT_TRUE(d.open());
  d.tick(ms(13'990), false);
  EXPECT_TRUE(d.open());
  d.tick(ms(14'000), false);
  EXPECT_FALSE(d.open());
  EXPECT_FALSE(d.hold(ms(15'000), 0).ok());
}

TEST(DoorPhysics, ALateTickRunsTimedStepsAtTheirOwnTimes) {
  DoorPhysics d;
  ASSERT_TRUE(d.exit(ms(0)).ok());
  // A tick long after the press: the release of the button is at its own
  // time; the lock release is seen now, and the door opens 0.3 s after that.
  std::vector<std::string> changes = d.tick(ms(10'000), true);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0], "exit button released");
  EXPECT_EQ(changes[1], "lock released: the person pulls the door");
  changes = d.tick(ms(20'000), false);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0], "door opened (lock locked)");
  EXPECT_EQ(changes[1], "door closed");
  EXPECT_EQ(d.phase(), DoorPhase::kClosed);
}

// ---- text inputs -------------------------------------------------------------

TEST(SimScript, CardSpecs) {
  Result<readers::RawCard> c = parse_card_spec("H10301:42:1001");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*c, readers::encode_card(readers::CardFormat::kH10301, 42, 1001).value());
  Result<readers::RawCard> bits = parse_card_spec("0101");
  ASSERT_TRUE(bits.ok());
  EXPECT_EQ(bits->bit_count, 4);
  Result<readers::RawCard> h10302 = parse_card_spec("H10302:123456");
  ASSERT_TRUE(h10302.ok());
  EXPECT_EQ(h10302->bit_count, 37);
  EXPECT_FALSE(parse_card_spec("H10301:256:1").ok());  // facility does not fit 8 bits
  EXPECT_FALSE(parse_card_spec("X99:1:1").ok());
  EXPECT_FALSE(parse_card_spec("H10301:a:1").ok());
  EXPECT_FALSE(parse_card_spec("").ok());
}

TEST(SimScript, Scenario) {
  Result<std::vector<ScenarioStep>> s = parse_scenario(
      "# morning\n"
      "1.5 present r-main-in H10301:42:1001   # Alice\n"
      "\n"
      "2 exit main-entrance\n"
      "2 quit\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 3U);
  EXPECT_EQ((*s)[0].at_us, 1'500'000);
  EXPECT_EQ((*s)[0].command, "present r-main-in H10301:42:1001");
  EXPECT_EQ((*s)[0].line, 2);
  EXPECT_EQ((*s)[2].command, "quit");

  Result<std::vector<ScenarioStep>> backwards = parse_scenario("2 status\n1 status\n");
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.error().message.find("line 2"), std::string::npos);
  Result<std::vector<ScenarioStep>> unknown = parse_scenario("1 open door\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_scenario("soon status\n").ok());
  EXPECT_FALSE(parse_scenario("-1 status\n").ok());
}

TEST(SimScript, Endpoints) {
  Result<TcpEndpoint> e = parse_tcp_endpoint("tcp://127.0.0.1:4001");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 4001);
  EXPECT_TRUE(parse_tcp_endpoint("tcp://localhost:1502").ok());
  EXPECT_FALSE(parse_tcp_endpoint("serial:///dev/ttyUSB0?baud=9600").ok());
  EXPECT_FALSE(parse_tcp_endpoint("rtu:///dev/ttyS0").ok());
  EXPECT_FALSE(parse_tcp_endpoint("tcp://127.0.0.1:70000").ok());
}

TEST(SimHttp, RequestHandling) {
  std::string seen;
  CommandHandler h = [&](std::string_view line) {
    seen = line;
    return line == "bad" ? CommandResult{false, "error: bad"} : CommandResult{true, "done"};
  };
  const std::string ok_req = "POST /command HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nforce door\r\n";
  EXPECT_EQ(request_complete(ok_req), static_cast<long>(ok_req.size()));
  EXPECT_EQ(request_complete(ok_req.substr(0, ok_req.size() - 3)), 0);
  const std::string r = handle_http_request(ok_req, h);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0U) << r;
  EXPECT_NE(r.find("\r\n\r\ndone\n"), std::string::npos);
  EXPECT_EQ(seen, "force door");
  EXPECT_EQ(handle_http_request("POST /command HTTP/1.1\r\nContent-Length: 3\r\n\r\nbad", h).rfind("HTTP/1.1 400", 0), 0U);
  EXPECT_EQ(handle_http_request("GET /command HTTP/1.1\r\n\r\n", h).rfind("HTTP/1.1 405", 0), 0U);
  EXPECT_EQ(handle_http_request("POST /other HTTP/1.1\r\n\r\n", h).rfind("HTTP/1.1 404", 0), 0U);
  EXPECT_EQ(request_complete("POST /command HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"), -1);
}

// ---- the simulator on loopback -------------------------------------------------

constexpr int kCoilBase = 16;
constexpr int kInputBase = 8;

site::Site test_site() {
  site::Site s;
  s.name = "sim test";
  site::IoModule io;
  io.id = "io-1";
  io.modbus = "tcp://127.0.0.1:0";
  io.unit = 3;
  io.coil_base = kCoilBase;
  io.input_base = kInputBase;
  io.input_count = 8;
  s.io_modules.push_back(io);

  site::Reader r1;
  r1.id = "r1";
  r1.osdp = "tcp://127.0.0.1:0";
  r1.address = 1;
  r1.secure_channel = false;
  r1.keypad = true;
  site::Reader r2;
  r2.id = "r2";
  r2.osdp = "tcp://127.0.0.1:0";
  r2.address = 2;
  r2.secure_channel = true;
  site::Reader r3;
  r3.id = "r3";
  r3.osdp = "serial:///dev/ttyUSB0?baud=9600";
  s.readers = {r1, r2, r3};

  site::Door d1;  // electric strike: coil 1 = unlocked
  d1.id = "d1";
  d1.reader = "r1";
  d1.lock = {"io-1", 2, site::FailMode::kSecure};
  d1.contact = site::InputPoint{"io-1", 0, site::Polarity::kNormallyClosed};
  d1.exit_button = site::InputPoint{"io-1", 1, site::Polarity::kNormallyOpen};
  site::Door d2;  // maglock: coil 1 = locked
  d2.id = "d2";
  d2.reader = "r2";
  d2.lock = {"io-1", 3, site::FailMode::kSafe};
  d2.contact = site::InputPoint{"io-1", 2, site::Polarity::kNormallyClosed};
  s.doors = {d1, d2};
  return s;
}

// The controller's side of a Modbus module: a libmodbus TCP client.
class ModbusClient {
 public:
  explicit ModbusClient(int port) : ctx_(modbus_new_tcp("127.0.0.1", port)) {
    modbus_set_slave(ctx_, 3);
    modbus_set_response_timeout(ctx_, 0, 300'000);
  }
  ~ModbusClient() {
    modbus_close(ctx_);
    modbus_free(ctx_);
  }
  bool connect() {
    modbus_close(ctx_);
    return modbus_connect(ctx_) == 0;
  }
  // Input N of the door's map; nullopt on any error.
  std::optional<bool> input(int n) {
    std::uint8_t b = 0;
    if (modbus_read_input_bits(ctx_, kInputBase + n, 1, &b) != 1) return std::nullopt;
    return b != 0;
  }
  std::optional<bool> coil(int n) {
    std::uint8_t b = 0;
    if (modbus_read_bits(ctx_, kCoilBase + n, 1, &b) != 1) return std::nullopt;
    return b != 0;
  }
  bool write_coil(int n, bool on) { return modbus_write_bit(ctx_, kCoilBase + n, on ? 1 : 0) == 1; }

 private:
  modbus_t* ctx_;
};

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Simulator>> s = Simulator::create(test_site());
    ASSERT_TRUE(s.ok()) << s.error().message;
    sim_ = std::move(s.value());
    sim_->start();
    io_port_ = sim_->module_port("io-1");
    ASSERT_GT(io_port_, 0);
  }
  void TearDown() override { sim_.reset(); }

  // Polls input n until it reads `value` (bounded).
  bool input_becomes(ModbusClient& c, int n, bool value) {
    return wait_until([&] { return c.input(n) == value; });
  }

  std::unique_ptr<Simulator> sim_;
  int io_port_ = 0;
};

TEST_F(SimulatorTest, InputsAtRestAndTheRegisterMap) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  EXPECT_EQ(c.input(0), true);   // d1 contact closed (normally closed circuit)
  EXPECT_EQ(c.input(1), false);  // d1 exit button not pressed (normally open)
  EXPECT_EQ(c.input(2), true);   // d2 contact closed
  EXPECT_EQ(c.coil(2), false);
  // Below the map's bases: libmodbus answers exception 2.
  std::uint8_t b = 0;
  modbus_t* raw = modbus_new_tcp("127.0.0.1", io_port_);
  modbus_set_slave(raw, 3);
  ASSERT_EQ(modbus_connect(raw), 0);
  EXPECT_EQ(modbus_read_input_bits(raw, 0, 1, &b), -1);
  EXPECT_EQ(errno, EMBXILADD);
  modbus_close(raw);
  modbus_free(raw);
}

TEST_F(SimulatorTest, ExitPressesTheButtonThenTheDoorOpensAndCloses) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  CommandResult r = sim_->command("exit d1");
  ASSERT_TRUE(r.ok) << r.text;
  ASSERT_TRUE(input_becomes(c, 1, true)) << "button never pressed";
  ASSERT_TRUE(c.write_coil(2, true));  // the controller releases the lock on the press
  ASSERT_TRUE(input_becomes(c, 1, false)) << "button never released";
  ASSERT_TRUE(input_becomes(c, 0, false)) << "door never opened";
  ASSERT_TRUE(input_becomes(c, 0, true)) << "door never closed";
  ASSERT_TRUE(c.write_coil(2, false));
}

TEST_F(SimulatorTest, ForceOpensTheDoorWithTheCoilLocked) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  ASSERT_TRUE(sim_->command("force d1").ok);
  ASSERT_TRUE(input_becomes(c, 0, false));
  EXPECT_EQ(c.coil(2), false);  // strike not energised: locked
  ASSERT_TRUE(input_becomes(c, 0, true));
}

TEST_F(SimulatorTest, ACardAndAReleasedLockLetAPersonThrough) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  CommandResult r = sim_->command("present r1 H10301:42:1001");
  ASSERT_TRUE(r.ok) << r.text;
  EXPECT_NE(r.text.find("a person waits at d1"), std::string::npos) << r.text;
  ASSERT_TRUE(c.write_coil(2, true));  // the grant
  ASSERT_TRUE(input_becomes(c, 0, false));
  ASSERT_TRUE(c.write_coil(2, false));  // the controller relocks... after it closes in life; here at once
  ASSERT_TRUE(input_becomes(c, 0, true));
}

TEST_F(SimulatorTest, AMaglockIsUnlockedWithoutPowerAndLockedEnergised) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  ASSERT_TRUE(c.write_coil(3, true));  // energised: locked
  ASSERT_TRUE(wait_until([&] { return sim_->command("status").text.find("door d2: lock=locked") != std::string::npos; }));
  ASSERT_TRUE(c.write_coil(3, false));
  ASSERT_TRUE(wait_until([&] { return sim_->command("status").text.find("door d2: lock=unlocked") != std::string::npos; }));
  // Unlocked maglock: the person at r2 walks through.
  ASSERT_TRUE(sim_->command("present r2 H10301:42:7").ok);
  ASSERT_TRUE(input_becomes(c, 2, false));
  ASSERT_TRUE(input_becomes(c, 2, true));
}

TEST_F(SimulatorTest, HoldKeepsTheDoorOpen) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  ASSERT_TRUE(sim_->command("hold d2 0.5").ok);
  ASSERT_TRUE(input_becomes(c, 2, false));
  EXPECT_EQ(sim_->door_phase("d2"), DoorPhase::kOpen);
  ASSERT_TRUE(input_becomes(c, 2, true));
}

TEST_F(SimulatorTest, UnpluggedModuleStopsAnsweringAndComesBack) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  ASSERT_TRUE(c.input(0).has_value());
  ASSERT_TRUE(sim_->command("unplug io-1").ok);
  // The controller's connection is closed: its next request fails. (No fresh
  // connect is tried here: to a kernel-chosen port nobody listens on, a
  // client may connect to itself and then hold the port.)
  EXPECT_FALSE(c.input(0).has_value());
  EXPECT_NE(sim_->command("status").text.find("io io-1: unplugged"), std::string::npos);
  ASSERT_TRUE(sim_->command("replug io-1").ok);
  ASSERT_TRUE(wait_until([&] { return c.connect() && c.input(0).has_value(); }));
  EXPECT_EQ(c.input(0), true);
}

TEST_F(SimulatorTest, UnknownIdsAreClearErrors) {
  CommandResult r = sim_->command("present nobody H10301:1:1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("unknown reader 'nobody' (r1, r2, r3)"), std::string::npos) << r.text;
  r = sim_->command("force nowhere");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("unknown door 'nowhere' (d1, d2)"), std::string::npos) << r.text;
  r = sim_->command("unplug gizmo");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("unknown device 'gizmo'"), std::string::npos) << r.text;
  r = sim_->command("present r3 H10301:1:1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("not simulated"), std::string::npos) << r.text;
  r = sim_->command("present r2 H10301:1:1 1234");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("no keypad"), std::string::npos) << r.text;
  r = sim_->command("exit d2");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("no exit button"), std::string::npos) << r.text;
  EXPECT_FALSE(sim_->command("open d1").ok);
  EXPECT_FALSE(sim_->command("hold d1 forever").ok);
  EXPECT_FALSE(sim_->command("tamper r1 maybe").ok);
  const std::string status = sim_->command("status").text;
  EXPECT_NE(status.find("door d1: lock=locked contact=closed"), std::string::npos) << status;
  EXPECT_NE(status.find("reader r3: not simulated"), std::string::npos) << status;
}

TEST_F(SimulatorTest, ScenarioRunsInOrderThenQuits) {
  ModbusClient c(io_port_);
  ASSERT_TRUE(c.connect());
  Result<std::vector<ScenarioStep>> steps = parse_scenario(
      "# a forced door, then a held one\n"
      "0.05 force d1\n"
      "0.1 hold d2 0.4\n"
      "0.2 status\n");
  ASSERT_TRUE(steps.ok()) << steps.error().message;
  sim_->set_scenario(std::move(steps.value()), /*exit_after=*/true);
  ASSERT_TRUE(input_becomes(c, 0, false));
  ASSERT_TRUE(input_becomes(c, 2, false));
  ASSERT_TRUE(sim_->wait_quit(kLimit));
  EXPECT_TRUE(sim_->scenario_finished());
}

// The controller's side of a reader line: the OSDP control panel over TCP,
// reconnecting every 100 ms when the connection is lost.
class OsdpClient {
 public:
  OsdpClient(int port, osdp::PdConfig pd) : port_(port) {
    osdp::CpSettings settings;
    settings.random_bytes = [this](std::span<std::uint8_t> out) {
      for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
    };
    osdp::CpEvents events;
    events.online = [this](std::uint8_t, bool on) { online_ = on; };
    events.card = [this](std::uint8_t, const readers::RawCard& card, MonoTime) { cards_.push_back(card); };
    events.keypad = [this](std::uint8_t, const std::string& digits, MonoTime) { keys_ += digits; };
    events.key_set = [this](std::uint8_t, const osdp::Key&) { key_set_ = true; };
    events.secure_channel = [this](std::uint8_t, bool secure) { secure_ = secure; };
    cp_ = std::make_unique<osdp::ControlPanel>(
        settings, std::vector<osdp::PdConfig>{pd},
        [this](std::span<const std::uint8_t> b) {
          if (fd_ >= 0) (void)!::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
        },
        events);
  }
  ~OsdpClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Runs the line until done() or the limit.
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds limit = kLimit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      step();
    }
    return done();
  }

  bool online_ = false;
  bool secure_ = false;
  bool key_set_ = false;
  std::vector<readers::RawCard> cards_;
  std::string keys_;
  osdp::ControlPanel& cp() { return *cp_; }

 private:
  static MonoTime now() { return SystemClock::instance().mono(); }

  void step() {
    if (fd_ < 0 && now().us >= next_connect_.us) connect();
    if (fd_ < 0) {
      cp_->tick(now());
      std::this_thread::sleep_for(5ms);
      return;
    }
    pollfd p{fd_, POLLIN, 0};
    const std::int64_t wait_us = std::clamp<std::int64_t>(cp_->next_deadline().us - now().us, 0, 10'000);
    if (::poll(&p, 1, static_cast<int>(wait_us / 1000)) > 0) {
      std::uint8_t buf[2048];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(fd_);
        fd_ = -1;
        next_connect_ = MonoTime{now().us + 100'000};
      } else {
        cp_->receive(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), now());
      }
    }
    cp_->tick(now());
  }

  void connect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      next_connect_ = MonoTime{now().us + 100'000};
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
  }

  int port_;
  int fd_ = -1;
  MonoTime next_connect_{};
  std::mt19937_64 rng_{42};
  std::unique_ptr<osdp::ControlPanel> cp_;
};

TEST_F(SimulatorTest, ReaderOnlineCardKeypadUnplugReplug) {
  const int port = sim_->reader_port("r1");
  ASSERT_GT(port, 0);
  osdp::PdConfig pd;
  pd.address = 1;
  OsdpClient cp(port, pd);
  ASSERT_TRUE(cp.pump_until([&] { return cp.online_; })) << "reader never online";

  ASSERT_TRUE(sim_->command("present r1 H10301:42:1001 2468").ok);
  ASSERT_TRUE(cp.pump_until([&] { return !cp.cards_.empty() && cp.keys_.size() == 5; }));
  EXPECT_EQ(cp.cards_[0], readers::encode_card(readers::CardFormat::kH10301, 42, 1001).value());
  EXPECT_EQ(cp.keys_, "2468\r");

  // The controller's feedback reaches the reader's LED.
  ASSERT_TRUE(cp.cp().feedback(1, true).ok());
  ASSERT_TRUE(cp.pump_until([&] { return sim_->command("status").text.find("led=green") != std::string::npos; }));

  ASSERT_TRUE(sim_->command("unplug r1").ok);
  ASSERT_TRUE(cp.pump_until([&] { return !cp.online_; })) << "never offline after unplug";
  EXPECT_FALSE(sim_->command("present r1 H10301:42:1001").ok);
  ASSERT_TRUE(sim_->command("replug r1").ok);
  ASSERT_TRUE(cp.pump_until([&] { return cp.online_; }, 10s)) << "never back online after replug";
  ASSERT_TRUE(sim_->command("present r1 bits").ok == false);
  ASSERT_TRUE(sim_->command("present r1 0101100").ok);
  ASSERT_TRUE(cp.pump_until([&] { return cp.cards_.size() == 2; }));
  EXPECT_EQ(readers::to_bit_string(cp.cards_[1]), "0101100");
}

TEST_F(SimulatorTest, SecureReaderTakesAKeyInInstallModeThenDeliversCards) {
  const int port = sim_->reader_port("r2");
  ASSERT_GT(port, 0);
  osdp::PdConfig pd;
  pd.address = 2;
  pd.secure_channel = true;
  pd.install_mode = true;
  pd.install_key = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  OsdpClient cp(port, pd);
  ASSERT_TRUE(cp.pump_until([&] { return cp.key_set_ && cp.secure_ && cp.online_; })) << "no KEYSET / session";
  ASSERT_TRUE(sim_->command("present r2 H10301:1:2").ok);
  ASSERT_TRUE(cp.pump_until([&] { return !cp.cards_.empty(); }));
  EXPECT_EQ(cp.cards_[0], readers::encode_card(readers::CardFormat::kH10301, 1, 2).value());
  EXPECT_NE(sim_->command("status").text.find("reader r2: plugged"), std::string::npos);
}

TEST_F(SimulatorTest, TamperReachesTheControlPanel) {
  osdp::PdConfig pd;
  pd.address = 1;
  OsdpClient cp(sim_->reader_port("r1"), pd);
  ASSERT_TRUE(cp.pump_until([&] { return cp.online_; }));
  ASSERT_TRUE(sim_->command("tamper r1 on").ok);
  ASSERT_TRUE(cp.pump_until([&] {
    Result<osdp::PdStatus> s = cp.cp().status(1);
    return s.ok() && s->local.tamper;
  }));
}

TEST_F(SimulatorTest, ControlPortAnswersCommands) {
  Result<std::unique_ptr<ControlServer>> server =
      ControlServer::start("127.0.0.1:0", [this](std::string_view line) { return sim_->command(line, "http"); });
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto post = [&](const std::string& body) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>((*server)->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string req = "POST /command HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ";
    req += std::to_string(body.size());
    req += "\r\n\r\n";
    req += body;
    (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = 0;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
  };
  const std::string status = post("status");
  EXPECT_EQ(status.rfind("HTTP/1.1 200", 0), 0U) << status;
  EXPECT_NE(status.find("door d1: lock=locked"), std::string::npos) << status;
  const std::string bad = post("force nowhere");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0U) << bad;
  EXPECT_NE(bad.find("unknown door"), std::string::npos) << bad;
}

}  // namespace
}  // namespace gatehouse::bridge
