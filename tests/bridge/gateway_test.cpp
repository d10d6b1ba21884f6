// gatehouse-bridge gateway mode, end to end over real pseudo-terminals and
// loopback TCP: the OSDP relay between a control panel and a virtual reader,
// the Modbus TCP -> RTU gateway against a real libmodbus RTU server, and the
// Wiegand firmware lines presented as an OSDP reader. Every wait is bounded and
// waits for an event; no test asserts a duration.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "tests/support/raw_pty.h"
#include "firmware-bridge/gateway.h"
#include "firmware-bridge/gw_config.h"
#include "firmware-bridge/gw_firmware_line.h"
#include "firmware-bridge/gw_modbus.h"
#include "firmware-bridge/gw_osdp_relay.h"
#include "firmware-bridge/gw_wiegand.h"
#include "readers/osdp_cp.h"
#include "readers/osdp_pd.h"
#include "tests/support/modbus_server.h"

namespace gatehouse::bridge {
namespace {

using namespace std::chrono_literals;
namespace osdp = readers::osdp;

MonoTime mono_now() {
  return MonoTime{std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count()};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// A pseudo-terminal (tests/support/raw_pty.h): the gateway opens the device,
// the test plays the device on the master, with a write loop and a read buffer.
class Pty {
 public:
  const std::string& device() const { return pty_.device(); }
  int master() const { return pty_.master(); }
  void write(std::string_view s) {
    std::size_t at = 0;
    while (at < s.size()) {
      ssize_t n = ::write(pty_.master(), s.data() + at, s.size() - at);
      if (n > 0) {
        at += static_cast<std::size_t>(n);
      } else {
        std::this_thread::sleep_for(1ms);
      }
    }
  }
  // What the gateway wrote so far (accumulated).
  std::string read_all() {
    char buf[512];
    ssize_t n;
    while ((n = ::read(pty_.master(), buf, sizeof buf)) > 0) received_.append(buf, static_cast<std::size_t>(n));
    return received_;
  }

 private:
  test_support::RawPty pty_;
  std::string received_;
};

// A virtual reader on the master side of a pty: the RS-485 bus end.
class PdOnPty {
 public:
  PdOnPty(Pty& pty, std::uint8_t address)
      : pty_(pty), pd_(settings(address), [this](std::span<const std::uint8_t> b) {
          pty_.write(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }) {
    thread_ = std::thread([this] { run(); });
  }
  ~PdOnPty() {
    stop_ = true;
    thread_.join();
  }
  template <typename F>
  auto with_pd(F f) {
    std::lock_guard lock(mutex_);
    return f(pd_);
  }

 private:
  static osdp::PdSettings settings(std::uint8_t address) {
    osdp::PdSettings s;
    s.address = address;
    return s;
  }
  void run() {
    while (!stop_) {
      pollfd p{pty_.master(), POLLIN, 0};
      if (::poll(&p, 1, 5) <= 0) continue;
      std::uint8_t buf[512];
      ssize_t n = ::read(pty_.master(), buf, sizeof buf);
      if (n <= 0) continue;
      std::lock_guard lock(mutex_);
      pd_.receive(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), mono_now());
    }
  }
  Pty& pty_;
  std::mutex mutex_;
  osdp::PeripheralDevice pd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The controller: a ControlPanel over a TCP socket that reconnects by itself
// (as the controller's TCP line does) when the connection drops.
class CpOverTcp {
 public:
  CpOverTcp(std::uint16_t port, std::uint8_t address)
      : port_(port),
        address_(address),
        cp_(osdp::CpSettings{}, {pd_config(address)},
            [this](std::span<const std::uint8_t> b) { send(b); }, events()) {
    thread_ = std::thread([this] { run(); });
  }
  ~CpOverTcp() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  static osdp::PdConfig pd_config(std::uint8_t address) {
    osdp::PdConfig c;
    c.address = address;
    return c;
  }
  bool online() {
    std::lock_guard lock(mutex_);
    return online_;
  }
  std::vector<readers::RawCard> cards() {
    std::lock_guard lock(mutex_);
    return cards_;
  }
  std::vector<std::string> keys() {
    std::lock_guard lock(mutex_);
    return keys_;
  }
  bool tamper() {
    std::lock_guard lock(mutex_);
    return tamper_;
  }
  int connects() const { return connects_; }
  template <typename F>
  auto with_cp(F f) {
    std::lock_guard lock(mutex_);
    return f(cp_);
  }

 private:
  osdp::CpEvents events() {
    osdp::CpEvents e;
    e.card = [this](std::uint8_t, const readers::RawCard& card, MonoTime) { cards_.push_back(card); };
    e.keypad = [this](std::uint8_t, const std::string& digits, MonoTime) { keys_.push_back(digits); };
    e.online = [this](std::uint8_t, bool on) { online_ = on; };
    e.local_status = [this](std::uint8_t, const osdp::LocalStatus& s) { tamper_ = s.tamper; };
    return e;
  }
  void send(std::span<const std::uint8_t> b) {
    if (fd_ >= 0) (void)!::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
  }
  void connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    ++connects_;
  }
  void run() {
    while (!stop_) {
      if (fd_ < 0) {
        connect();
        if (fd_ < 0) {
          std::this_thread::sleep_for(20ms);
          continue;
        }
      }
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 2);
      std::lock_guard lock(mutex_);
      if (r > 0) {
        std::uint8_t buf[1024];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
          ::close(fd_);
          fd_ = -1;
          continue;
        }
        cp_.receive(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), mono_now());
      }
      if (mono_now() >= cp_.next_deadline()) cp_.tick(mono_now());
    }
  }

  std::uint16_t port_;
  std::uint8_t address_;
  std::mutex mutex_;
  osdp::ControlPanel cp_;
  int fd_ = -1;
  bool online_ = false;
  bool tamper_ = false;
  std::vector<readers::RawCard> cards_;
  std::vector<std::string> keys_;
  std::atomic<int> connects_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

readers::RawCard h10301(std::uint64_t facility, std::uint64_t number) {
  auto card = readers::encode_card(readers::CardFormat::kH10301, facility, number);
  EXPECT_TRUE(card.ok());
  return card.value();
}

bool has_card(CpOverTcp& cp, const readers::RawCard& card) {
  for (const auto& c : cp.cards()) {
    if (c == card) return true;
  }
  return false;
}

// ---------------------------------------------------------------- config

TEST(GatewayConfig, TheDocumentedExampleParses) {
  auto out = parse_gateway_config_text(R"(
[[osdp_relay]]
listen = "127.0.0.1:4001"
serial = "/dev/ttyUSB0"
baud = 9600

[[modbus_gateway]]
listen = "127.0.0.1:1502"
serial = "/dev/ttyUSB1"
baud = 19200
parity = "E"
timeout_ms = 300

[[wiegand_reader]]
listen = "127.0.0.1:4003"
serial = "/dev/ttyACM0"
baud = 115200
address = 1
)",
                                       "gw.toml");
  ASSERT_TRUE(out.problems.empty()) << format_config_problem(out.problems[0], "gw.toml");
  ASSERT_EQ(out.config.osdp_relays.size(), 1U);
  EXPECT_EQ(out.config.osdp_relays[0].listen.port, 4001);
  EXPECT_EQ(out.config.osdp_relays[0].serial.device, "/dev/ttyUSB0");
  ASSERT_EQ(out.config.modbus_gateways.size(), 1U);
  EXPECT_EQ(out.config.modbus_gateways[0].serial.parity, 'E');
  EXPECT_EQ(out.config.modbus_gateways[0].timeout_ms, 300);
  ASSERT_EQ(out.config.wiegand_readers.size(), 1U);
  EXPECT_EQ(out.config.wiegand_readers[0].address, 1);
  EXPECT_EQ(out.config.wiegand_readers[0].serial.baud, 115200U);
}

TEST(GatewayConfig, EveryProblemHasItsLineAndKey) {
  auto out = parse_gateway_config_text(R"([[osdp_relay]]
listen = "127.0.0.1:4001"
serial = "/dev/ttyUSB0"
baud = 12345

[[modbus_gateway]]
listen = "localhost"
serial = "/dev/ttyUSB1"
parity = "X"
timout_ms = 200

[[wiegand_reader]]
listen = "127.0.0.1:4003"
address = 200
)",
                                       "gw.toml");
  std::vector<std::string> got;
  for (const auto& p : out.problems) got.push_back(format_config_problem(p, "gw.toml"));
  ASSERT_EQ(got.size(), 6U) << ::testing::PrintToString(got);
  EXPECT_EQ(got[0], "gw.toml:4: osdp_relay[1].baud: 12345 is not a standard rate (1200 .. 230400, e.g. 9600, 19200, 115200)");
  EXPECT_EQ(got[1], "gw.toml:7: modbus_gateway[1].listen: 'localhost' is not HOST:PORT (e.g. \"127.0.0.1:4001\"; port 0..65535)");
  EXPECT_EQ(got[2], "gw.toml:9: modbus_gateway[1].parity: 'X' is not N, E or O");
  EXPECT_EQ(got[3], "gw.toml:10: modbus_gateway[1].timout_ms: unknown key");
  EXPECT_EQ(got[4], "gw.toml:12: wiegand_reader[1].serial: missing; expected a string");
  EXPECT_EQ(got[5], "gw.toml:14: wiegand_reader[1].address: 200 is out of range 0..126");
}

TEST(GatewayConfig, SyntaxErrorsDuplicatesAndEmptyConfigsAreRefused) {
  auto syntax = parse_gateway_config_text("[[osdp_relay]]\nlisten = \"x\n", "gw.toml");
  ASSERT_EQ(syntax.problems.size(), 1U);
  EXPECT_EQ(syntax.problems[0].line, 2);

  auto dup = parse_gateway_config_text(R"([[osdp_relay]]
listen = "127.0.0.1:4001"
serial = "/dev/ttyUSB0"
[[wiegand_reader]]
listen = "127.0.0.1:4001"
serial = "/dev/ttyUSB0"
)",
                                       "gw.toml");
  ASSERT_EQ(dup.problems.size(), 2U);
  EXPECT_EQ(dup.problems[0].line, 4);
  EXPECT_EQ(dup.problems[0].key, "wiegand_reader.serial");
  EXPECT_EQ(dup.problems[1].key, "wiegand_reader.listen");

  auto empty = parse_gateway_config_text("# nothing\n", "gw.toml");
  ASSERT_EQ(empty.problems.size(), 1U);

  auto unknown = parse_gateway_config_text("[[osdp_rely]]\nlisten = \"127.0.0.1:1\"\n", "gw.toml");
  ASSERT_EQ(unknown.problems.size(), 1U);
  EXPECT_EQ(unknown.problems[0].key, "osdp_rely");
}

TEST(GatewayCommand, ABadConfigStartsNothingAndExitsTwo) {
  const std::string path = ::testing::TempDir() + "gw_bad.toml";
  std::ofstream(path) << "[[osdp_relay]]\nlisten = \"127.0.0.1:0\"\nbaud = 9600\n";
  EXPECT_EQ(run_gateway({"gatehouse-bridge", "gateway", path}), 2);
  EXPECT_EQ(run_gateway({"gatehouse-bridge", "gateway"}), 2);
  // A port that does not exist: the config is valid, the gateway does not start.
  std::ofstream(path) << "[[osdp_relay]]\nlisten = \"127.0.0.1:0\"\nserial = \"/dev/gatehouse-no-such-tty\"\n";
  EXPECT_EQ(run_gateway({"gatehouse-bridge", "gateway", path}), 1);
}

// ---------------------------------------------------------------- OSDP relay

OsdpRelayConfig relay_config(const Pty& pty, std::uint16_t port = 0) {
  return OsdpRelayConfig{Endpoint{"127.0.0.1", port}, SerialSettings{pty.device(), 9600, 'N'}, 0};
}

TEST(OsdpRelay, ReaderComesOnlineAndACardArrives) {
  Pty pty;
  PdOnPty pd(pty, 1);
  auto relay = OsdpRelay::start(relay_config(pty));
  ASSERT_TRUE(relay.ok()) << relay.error().message;
  CpOverTcp cp(relay.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));
  const auto card = h10301(18, 1234);
  pd.with_pd([&](osdp::PeripheralDevice& p) { p.present_card(card); });
  ASSERT_TRUE(eventually([&] { return has_card(cp, card); }));
  EXPECT_GT(relay.value()->stats().packets_from_line, 0U);
  EXPECT_EQ(relay.value()->stats().connections, 1U);
}

TEST(OsdpRelay, AControllerRestartIsServedAgain) {
  Pty pty;
  PdOnPty pd(pty, 1);
  auto relay = OsdpRelay::start(relay_config(pty));
  ASSERT_TRUE(relay.ok()) << relay.error().message;
  {
    CpOverTcp cp(relay.value()->port(), 1);
    ASSERT_TRUE(eventually([&] { return cp.online(); }));
  }  // the controller goes away (socket closed)
  CpOverTcp cp(relay.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));
  const auto card = h10301(7, 77);
  pd.with_pd([&](osdp::PeripheralDevice& p) { p.present_card(card); });
  ASSERT_TRUE(eventually([&] { return has_card(cp, card); }));
  EXPECT_TRUE(eventually([&] { return relay.value()->stats().reconnects >= 1; }));
}

TEST(OsdpRelay, ABridgeRestartInTheMiddleOfTrafficIsServedAgain) {
  Pty pty;
  PdOnPty pd(pty, 1);
  auto relay = OsdpRelay::start(relay_config(pty));
  ASSERT_TRUE(relay.ok()) << relay.error().message;
  const std::uint16_t port = relay.value()->port();
  CpOverTcp cp(port, 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));
  const auto first = h10301(1, 100);
  pd.with_pd([&](osdp::PeripheralDevice& p) { p.present_card(first); });
  relay.value().reset();  // the bridge goes down while the CP polls
  const auto second = h10301(1, 200);
  pd.with_pd([&](osdp::PeripheralDevice& p) { p.present_card(second); });
  auto again = OsdpRelay::start(relay_config(pty, port));
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(eventually([&] { return has_card(cp, first) && has_card(cp, second); }));
  EXPECT_GE(cp.connects(), 2);
}

TEST(OsdpRelay, LineGarbageIsCountedAndTrafficContinues) {
  Pty pty;
  PdOnPty pd(pty, 1);
  auto relay = OsdpRelay::start(relay_config(pty));
  ASSERT_TRUE(relay.ok()) << relay.error().message;
  CpOverTcp cp(relay.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));
  pd.with_pd([&](osdp::PeripheralDevice&) { pty.write("\x01\x02\x03noise"); });
  const auto card = h10301(3, 33);
  pd.with_pd([&](osdp::PeripheralDevice& p) { p.present_card(card); });
  ASSERT_TRUE(eventually([&] { return has_card(cp, card); }));
  EXPECT_TRUE(eventually([&] { return relay.value()->stats().garbage_bytes >= 8; }));
}

// ---------------------------------------------------------------- Modbus gateway

test_support::ModbusServer::Unit unit1() {
  test_support::ModbusServer::Unit u;
  u.id = 1;
  return u;
}

struct ModbusClient {
  explicit ModbusClient(std::uint16_t port) {
    ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_set_response_timeout(ctx, 3, 0);
    EXPECT_EQ(modbus_connect(ctx), 0) << modbus_strerror(errno);
  }
  ~ModbusClient() {
    modbus_close(ctx);
    modbus_free(ctx);
  }
  modbus_t* ctx;
};

TEST(ModbusGateway, ReadsInputsAndWritesACoilOnTheRtuLine) {
  auto server = test_support::ModbusServer::rtu({unit1()});
  ASSERT_TRUE(server.ok()) << server.error().message;
  server.value()->set_input(1, 3, true);
  auto gw = ModbusGateway::start(ModbusGatewayConfig{
      Endpoint{"127.0.0.1", 0}, SerialSettings{server.value()->device(), 115200, 'N'}, 200, 0});
  ASSERT_TRUE(gw.ok()) << gw.error().message;
  ModbusClient client(gw.value()->port());
  modbus_set_slave(client.ctx, 1);

  std::uint8_t inputs[8] = {};
  ASSERT_EQ(modbus_read_input_bits(client.ctx, 0, 8, inputs), 8) << modbus_strerror(errno);
  EXPECT_EQ(inputs[3], 1);
  EXPECT_EQ(inputs[2], 0);

  ASSERT_EQ(modbus_write_bit(client.ctx, 2, 1), 1) << modbus_strerror(errno);
  EXPECT_TRUE(server.value()->coil(1, 2));
  std::uint8_t coil = 0;
  ASSERT_EQ(modbus_read_bits(client.ctx, 2, 1, &coil), 1);
  EXPECT_EQ(coil, 1);

  // An exception from the device is its answer, relayed as is.
  std::uint8_t far[1];
  EXPECT_EQ(modbus_read_bits(client.ctx, 5000, 1, far), -1);
  EXPECT_EQ(errno, EMBXILADD);
  EXPECT_EQ(gw.value()->stats().answered, 4U);
}

TEST(ModbusGateway, ASilentDeviceGetsExceptionGatewayTargetFailed) {
  auto server = test_support::ModbusServer::rtu({unit1()});
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto gw = ModbusGateway::start(ModbusGatewayConfig{
      Endpoint{"127.0.0.1", 0}, SerialSettings{server.value()->device(), 115200, 'N'}, 200, 0});
  ASSERT_TRUE(gw.ok()) << gw.error().message;
  ModbusClient client(gw.value()->port());
  modbus_set_slave(client.ctx, 1);

  server.value()->set_fault(test_support::ModbusServer::Fault::kSilent, 1);
  std::uint8_t inputs[8];
  EXPECT_EQ(modbus_read_input_bits(client.ctx, 0, 8, inputs), -1);
  EXPECT_EQ(errno, EMBXGTAR);
  EXPECT_EQ(gw.value()->stats().no_answer, 1U);

  // A unit nobody serves: the same.
  modbus_set_slave(client.ctx, 9);
  EXPECT_EQ(modbus_read_input_bits(client.ctx, 0, 8, inputs), -1);
  EXPECT_EQ(errno, EMBXGTAR);

  // Garbage (bad CRC) is no answer either.
  modbus_set_slave(client.ctx, 1);
  server.value()->set_fault(test_support::ModbusServer::Fault::kGarbage, 1);
  EXPECT_EQ(modbus_read_input_bits(client.ctx, 0, 8, inputs), -1);
  EXPECT_EQ(errno, EMBXGTAR);
  EXPECT_EQ(gw.value()->stats().bad_answer + gw.value()->stats().no_answer, 3U);

  // The device comes back: answers flow again on the same TCP connection.
  server.value()->clear_fault();
  server.value()->set_input(1, 0, true);
  ASSERT_EQ(modbus_read_input_bits(client.ctx, 0, 8, inputs), 8) << modbus_strerror(errno);
  EXPECT_EQ(inputs[0], 1);
}

// ---------------------------------------------------------------- Wiegand firmware

WiegandReaderConfig wiegand_config(const Pty& pty) {
  return WiegandReaderConfig{Endpoint{"127.0.0.1", 0}, SerialSettings{pty.device(), 115200, 'N'}, 1, 0};
}

TEST(WiegandReader, CardKeyAndTamperLinesReachTheControlPanel) {
  Pty pty;
  auto reader = WiegandReader::start(wiegand_config(pty));
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  CpOverTcp cp(reader.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));

  const auto card = h10301(18, 1234);
  pty.write("HB\nCARD 26 " + readers::to_hex(card) + "\n");
  ASSERT_TRUE(eventually([&] { return has_card(cp, card); }));
  auto decoded = readers::decode_card(cp.cards().back());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().card_number, 1234U);

  pty.write("KEY 12#\nTAMPER 1\n");
  ASSERT_TRUE(eventually([&] { return !cp.keys().empty() && cp.tamper(); }));
  EXPECT_EQ(cp.keys().front(), "12#");
  EXPECT_EQ(reader.value()->stats().cards, 1U);
  EXPECT_EQ(reader.value()->stats().heartbeats, 1U);
}

TEST(WiegandReader, ABadParityCardIsPassedOnUnchanged) {
  Pty pty;
  auto reader = WiegandReader::start(wiegand_config(pty));
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  CpOverTcp cp(reader.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));

  auto bad = h10301(18, 1234);
  bad.bits[3] ^= 0x40;  // the last (odd parity) bit of 26 flipped
  ASSERT_FALSE(readers::decode_card(bad).ok());
  pty.write("CARD 26 " + readers::to_hex(bad) + "\n");
  ASSERT_TRUE(eventually([&] { return has_card(cp, bad); }));
  EXPECT_FALSE(readers::decode_card(cp.cards().back()).ok());  // the controller's bad_format
}

TEST(WiegandReader, GarbageAndPartialLinesAreCountedNotFatal) {
  Pty pty;
  auto reader = WiegandReader::start(wiegand_config(pty));
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  CpOverTcp cp(reader.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));

  pty.write(std::string("\x01\x02\xff garbage\n") + "CARD zz\n" + "CARD 26\n" + "FOO 1 2\n" + "KEY 12a\n" +
            std::string(300, 'X') + "\n");
  const auto card = h10301(5, 55);
  const std::string line = "CARD 26 " + readers::to_hex(card) + "\n";
  pty.write(line.substr(0, 5));  // a line cut in two writes
  ASSERT_TRUE(eventually([&] { return reader.value()->stats().bad_lines >= 6; }));
  pty.write(line.substr(5));
  ASSERT_TRUE(eventually([&] { return has_card(cp, card); }));
  EXPECT_EQ(reader.value()->stats().bad_lines, 6U);
  EXPECT_EQ(cp.cards().size(), 1U);
}

TEST(WiegandReader, LedAndBuzzerFromTheControllerBecomeLines) {
  Pty pty;
  auto reader = WiegandReader::start(wiegand_config(pty));
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  CpOverTcp cp(reader.value()->port(), 1);
  ASSERT_TRUE(eventually([&] { return cp.online(); }));

  ASSERT_TRUE(cp.with_cp([](osdp::ControlPanel& c) { return c.feedback(1, false); }).ok());
  ASSERT_TRUE(eventually([&] { return pty.read_all().find("BUZ 2 1 1\n") != std::string::npos; }));
  EXPECT_NE(pty.read_all().find("LED red 20 0\n"), std::string::npos) << pty.read_all();
}

TEST(WiegandReader, FloodIsRateLimitedAndSilenceIsReported) {
  Pty pty;
  WiegandReaderOptions options;
  options.silent_after = 300ms;
  auto reader = WiegandReader::start(wiegand_config(pty), options);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += "HB\n";
  pty.write(flood);
  ASSERT_TRUE(eventually([&] {
    auto s = reader.value()->stats();
    return s.heartbeats + s.rate_limited == 1000;
  }));
  EXPECT_GT(reader.value()->stats().rate_limited, 0U);
  EXPECT_TRUE(eventually([&] { return reader.value()->stats().silent_reports >= 1; }));
}

// ---------------------------------------------------------------- line protocol

TEST(FirmwareLine, ParsesEveryVerbAndRefusesTheRest) {
  auto card = parse_firmware_line("CARD 26 02409A4\r");
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(std::get<CardLine>(card.value()).card.bit_count, 26);
  EXPECT_EQ(readers::to_hex(std::get<CardLine>(card.value()).card), "02409A4");
  auto key = parse_firmware_line("KEY 1234#*");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<KeyLine>(key.value()).digits, "1234#*");
  auto tamper = parse_firmware_line("TAMPER 1");
  ASSERT_TRUE(tamper.ok());
  EXPECT_TRUE(std::get<TamperLine>(tamper.value()).tamper);
  EXPECT_TRUE(parse_firmware_line("HB").ok());
  for (const char* bad : {"", "HB 1", "CARD", "CARD 26 1FFFFFFF", "CARD 0 1", "CARD x 12", "KEY", "KEY 1a",
                          "TAMPER 2", "card 26 1", "LED red 1 1"}) {
    EXPECT_FALSE(parse_firmware_line(bad).ok()) << bad;
  }
}

TEST(FirmwareLine, FeedbackLines) {
  osdp::LedCommand led;
  led.temp_control = 2;
  led.temp_on_color = 2;
  led.temp_on_100ms = 20;
  EXPECT_EQ(led_line(led).value(), "LED green 20 0\n");
  led.temp_control = 0;
  EXPECT_FALSE(led_line(led).has_value());
  led.perm_control = 1;
  led.perm_on_color = 3;
  led.perm_on_100ms = 5;
  led.perm_off_100ms = 5;
  EXPECT_EQ(led_line(led).value(), "LED amber 5 5\n");
  osdp::BuzzerCommand buz;
  buz.count = 2;
  buz.on_100ms = 1;
  buz.off_100ms = 1;
  EXPECT_EQ(buzzer_line(buz), "BUZ 2 1 1\n");
  buz.tone = 1;
  EXPECT_EQ(buzzer_line(buz), "BUZ 0 0 0\n");
}

TEST(FirmwareLine, SplitterAndRateLimiter) {
  LineSplitter s;
  EXPECT_TRUE(s.feed("CA").empty());
  auto lines = s.feed("RD 1 1\nHB\n" + std::string(200, 'x'));
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], "CARD 1 1");
  lines = s.feed("yy\nHB\n");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(s.overlong_lines(), 1U);

  LineRateLimiter limiter(3);
  const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
  bool first = false;
  EXPECT_TRUE(limiter.admit(t0, first));
  EXPECT_TRUE(limiter.admit(t0 + 1ms, first));
  EXPECT_TRUE(limiter.admit(t0 + 2ms, first));
  EXPECT_FALSE(limiter.admit(t0 + 3ms, first));
  EXPECT_TRUE(first);
  EXPECT_FALSE(limiter.admit(t0 + 4ms, first));
  EXPECT_FALSE(first);
  EXPECT_TRUE(limiter.admit(t0 + 1001ms, first));
  EXPECT_EQ(limiter.refused(), 2U);
}

}  // namespace
}  // namespace gatehouse::bridge
