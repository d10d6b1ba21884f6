// The controller's OSDP line transports against real peers: a TCP listener on
// loopback and a pseudo-terminal standing in for a serial port.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "controller/readers/osdp_line.h"
#include "tests/support/raw_pty.h"

namespace gatehouse::controller::readers_io {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Runs the io_context until `done` or a bound; returns done().
template <typename F>
bool run_until(asio::io_context& ioc, F done, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(10ms);
  }
  return done();
}

struct Recorder {
  std::vector<std::uint8_t> bytes;
  std::vector<std::string> links;
  LineHandlers handlers() {
    return {[this](std::span<const std::uint8_t> b, MonoTime) { bytes.insert(bytes.end(), b.begin(), b.end()); },
            [this](bool up, const std::string& why) { links.push_back((up ? "up: " : "down: ") + why); }};
  }
};

TEST(OsdpLine, TcpBytesBothWaysAndReconnectAfterThePeerCloses) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  Recorder rec;
  auto line = OsdpLine::create(ioc, "tcp://127.0.0.1:" + std::to_string(port), rec.handlers());
  ASSERT_TRUE(line.ok()) << line.error().message;
  (*line)->start();

  tcp::socket peer(ioc);
  bool accepted = false;
  acceptor.async_accept(peer, [&](boost::system::error_code ec) { accepted = !ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return accepted && (*line)->connected(); }));

  const std::uint8_t poll[] = {0x53, 0x01, 0x08, 0x00, 0x04, 0x60, 0x00, 0x00};
  (*line)->send(poll);
  std::array<std::uint8_t, 8> got{};
  bool read = false;
  asio::async_read(peer, asio::buffer(got), [&](boost::system::error_code ec, std::size_t) { read = !ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return read; }));
  EXPECT_TRUE(std::equal(got.begin(), got.end(), std::begin(poll)));

  const std::uint8_t reply[] = {0x53, 0x81, 0x07, 0x00, 0x04, 0x40, 0x00};
  asio::write(peer, asio::buffer(reply));
  ASSERT_TRUE(run_until(ioc, [&] { return rec.bytes.size() == sizeof reply; }));
  EXPECT_TRUE(std::equal(rec.bytes.begin(), rec.bytes.end(), std::begin(reply)));

  // The bridge drops the connection; the line says so and connects again by itself.
  peer.close();
  tcp::socket again(ioc);
  bool reaccepted = false;
  acceptor.async_accept(again, [&](boost::system::error_code ec) { reaccepted = !ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return reaccepted && (*line)->connected(); }));
  ASSERT_GE(rec.links.size(), 3u);
  EXPECT_EQ(rec.links[0].rfind("up: ", 0), 0u);
  EXPECT_EQ(rec.links[1].rfind("down: ", 0), 0u);
  EXPECT_EQ(rec.links[2].rfind("up: ", 0), 0u);
  (*line)->stop();
  ioc.restart();
  ioc.run_for(50ms);
}

TEST(OsdpLine, RefusedConnectionIsReportedOnceThenRetried) {
  asio::io_context ioc;
  int port = 0;
  {
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  Recorder rec;
  auto line = OsdpLine::create(ioc, "tcp://127.0.0.1:" + std::to_string(port), rec.handlers());
  ASSERT_TRUE(line.ok());
  (*line)->start();
  run_until(ioc, [] { return false; }, 1200ms);  // several attempts at 0.2, 0.4, 0.8 s
  ASSERT_EQ(rec.links.size(), 1u) << "a line that never came up is reported down once";
  EXPECT_NE(rec.links[0].find("cannot connect"), std::string::npos) << rec.links[0];
  const std::uint8_t b[] = {1, 2, 3};
  (*line)->send(b);
  run_until(ioc, [] { return false; }, 50ms);
  EXPECT_EQ((*line)->bytes_dropped(), 3);
  (*line)->stop();
  ioc.restart();
  ioc.run_for(50ms);
}

TEST(OsdpLine, SerialOverAPseudoTerminal) {
  test_support::RawPty pty;
  const int master = pty.master();
  const char* name = pty.device().c_str();
  asio::io_context ioc;
  Recorder rec;
  auto line = OsdpLine::create(ioc, std::string("serial://") + name + "?baud=9600", rec.handlers());
  ASSERT_TRUE(line.ok()) << line.error().message;
  (*line)->start();
  ASSERT_TRUE(run_until(ioc, [&] { return (*line)->connected(); }));

  const std::uint8_t cmd[] = {0x53, 0x01, 0x08, 0x00, 0x05, 0x60, 0xAA, 0xBB};
  (*line)->send(cmd);
  std::vector<std::uint8_t> at_reader;
  ASSERT_TRUE(run_until(ioc, [&] {
    std::uint8_t buf[64];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) at_reader.insert(at_reader.end(), buf, buf + n);
    return at_reader.size() >= sizeof cmd;
  }));
  EXPECT_TRUE(std::equal(std::begin(cmd), std::end(cmd), at_reader.begin()));

  const std::uint8_t reply[] = {0x53, 0x81, 0x07, 0x00, 0x05, 0x40, 0x11};
  ASSERT_EQ(::write(master, reply, sizeof reply), static_cast<ssize_t>(sizeof reply));
  ASSERT_TRUE(run_until(ioc, [&] { return rec.bytes.size() >= sizeof reply; }));
  EXPECT_TRUE(std::equal(std::begin(reply), std::end(reply), rec.bytes.begin()));
  (*line)->stop();
  ioc.restart();
  ioc.run_for(50ms);
}

TEST(OsdpLine, EndpointsAreCheckedUpFront) {
  asio::io_context ioc;
  EXPECT_FALSE(OsdpLine::create(ioc, "udp://1.2.3.4:5", {}).ok());
  EXPECT_FALSE(OsdpLine::create(ioc, "tcp://nohost", {}).ok());
  EXPECT_FALSE(OsdpLine::create(ioc, "serial:///dev/ttyS0?baud=1234", {}).ok());
  EXPECT_FALSE(OsdpLine::create(ioc, "serial://?baud=9600", {}).ok());
  EXPECT_TRUE(OsdpLine::create(ioc, "serial:///dev/ttyS0?baud=115200", {}).ok());
}

}  // namespace
}  // namespace gatehouse::controller::readers_io
