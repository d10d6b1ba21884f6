#include "firmware-bridge/gw_osdp_relay.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <array>
#include <thread>
#include <vector>

#include "base/log.h"
#include "firmware-bridge/gw_serial.h"
#include "firmware-bridge/gw_tcp.h"
#include "readers/osdp_frame.h"

namespace gatehouse::bridge {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// OSDP's inter-character timeout: a packet whose bytes stop for this long is gone.
constexpr auto kInterCharacterTimeout = std::chrono::milliseconds(20);
constexpr std::size_t kMaxPendingToLine = 64 * 1024;
constexpr auto kReopenDelay = std::chrono::seconds(1);
constexpr auto kGarbageLogEvery = std::chrono::seconds(1);
}  // namespace

class OsdpRelay::Impl {
 public:
  explicit Impl(OsdpRelayConfig config)
      : config_(std::move(config)),
        name_("osdp_relay " + config_.serial.device),
        serial_(ioc_),
        gap_timer_(ioc_),
        reopen_timer_(ioc_),
        tcp_(ioc_, name_,
             TcpHandlers{.connected = [this](const std::string&) { connections_ = tcp_.connections(); },
                         .bytes = [this](std::span<const std::uint8_t> b) { on_tcp_bytes(b); },
                         .disconnected = [this](const std::string&) { on_tcp_closed(); }}),
        gap_(std::max<std::chrono::microseconds>(2 * character_time(config_.serial),
                                                 std::chrono::microseconds(500))) {}

  Status open() {
    if (Status s = open_serial(serial_, config_.serial); !s.ok()) return s;
    if (Status s = tcp_.listen(config_.listen); !s.ok()) return s;
    port_ = tcp_.port();
    tcp_.start();
    do_serial_read();
    log(LogLevel::kInfo, "bridge", "osdp relay started",
        {{"serial", config_.serial.device}, {"baud", std::to_string(config_.serial.baud)},
         {"listen", config_.listen.host + ":" + std::to_string(port_)}});
    thread_ = std::thread([this] { ioc_.run(); });
    return {};
  }

  ~Impl() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return port_; }

  OsdpRelayStats stats() const {
    OsdpRelayStats s;
    s.connections = connections_.load();
    s.reconnects = s.connections > 0 ? s.connections - 1 : 0;
    s.packets_from_line = packets_.load();
    s.garbage_bytes = garbage_.load();
    s.bytes_to_line = to_line_.load();
    s.bytes_to_controller = to_controller_.load();
    s.bytes_dropped = dropped_.load() + tcp_dropped_.load();
    s.serial_reopens = reopens_.load();
    return s;
  }

 private:
  // ---- controller side ----
  void on_tcp_bytes(std::span<const std::uint8_t> bytes) {
    connections_ = tcp_.connections();
    if (pending_.size() + bytes.size() > kMaxPendingToLine) {
      dropped_ += bytes.size();
      return;
    }
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    try_write_line();
  }

  void on_tcp_closed() {
    // Commands from a controller that is gone are not sent: its successor
    // starts its own exchange (SQN 0).
    pending_.clear();
    connections_ = tcp_.connections();
  }

  // ---- serial side ----
  void do_serial_read() {
    serial_.async_read_some(asio::buffer(serial_buf_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return on_serial_failed(ec.message());
      on_serial_bytes(std::span<const std::uint8_t>(serial_buf_.data(), n));
      do_serial_read();
    });
  }

  void on_serial_bytes(std::span<const std::uint8_t> bytes) {
    const auto now = Clock::now();
    last_rx_ = now;
    connections_ = tcp_.connections();
    if (tcp_.connected()) {
      to_controller_ += bytes.size();
      tcp_.send(bytes);
      tcp_dropped_ = tcp_.bytes_dropped();
    } else {
      dropped_ += bytes.size();
    }
    rx_.insert(rx_.end(), bytes.begin(), bytes.end());
    parse_line_bytes(now);
    try_write_line();
  }

  // The parser tells where packets end, so a command can follow a complete
  // reply at once, and which bytes were garbage.
  void parse_line_bytes(Clock::time_point now) {
    while (!rx_.empty()) {
      auto r = readers::osdp::parse_packet(rx_);
      if (r.status == readers::osdp::ParseStatus::kWait) break;
      if (r.status == readers::osdp::ParseStatus::kPacket) {
        ++packets_;
      } else if (r.reason != readers::osdp::SkipReason::kMarkBytes) {
        count_garbage(r.consumed, readers::osdp::skip_reason_name(r.reason), now);
      }
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    }
  }

  void count_garbage(std::size_t n, std::string_view why, Clock::time_point now) {
    garbage_ += n;
    if (now - last_garbage_log_ >= kGarbageLogEvery) {
      last_garbage_log_ = now;
      log(LogLevel::kWarn, "bridge", "garbage on the serial line",
          {{"gateway", name_}, {"reason", std::string(why)}, {"bytes", std::to_string(n)},
           {"garbage_bytes_total", std::to_string(garbage_.load())}});
    }
  }

  void try_write_line() {
    if (writing_ || pending_.empty() || !serial_.is_open()) return;
    const auto now = Clock::now();
    const auto quiet = now - last_rx_;
    if (!rx_.empty()) {
      // A reply is arriving: wait for the rest, but not past the inter-character timeout.
      if (quiet < kInterCharacterTimeout) return arm_gap_timer(last_rx_ + kInterCharacterTimeout);
      count_garbage(rx_.size(), "partial packet timed out", now);
      rx_.clear();
    } else if (quiet < gap_) {
      return arm_gap_timer(last_rx_ + gap_);
    }
    writing_ = true;
    out_.swap(pending_);
    pending_.clear();
    asio::async_write(serial_, asio::buffer(out_), [this](boost::system::error_code ec, std::size_t n) {
      writing_ = false;
      if (ec == asio::error::operation_aborted) return;
      if (ec) return on_serial_failed("write: " + ec.message());
      to_line_ += n;
      try_write_line();
    });
  }

  void arm_gap_timer(Clock::time_point at) {
    gap_timer_.expires_at(at);
    gap_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) try_write_line();
    });
  }

  void on_serial_failed(const std::string& why) {
    log(LogLevel::kError, "bridge", "serial line failed; reopening",
        {{"gateway", name_}, {"error", why}});
    boost::system::error_code ignored;
    serial_.close(ignored);
    rx_.clear();
    pending_.clear();
    reopen_timer_.expires_after(kReopenDelay);
    reopen_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      ++reopens_;
      if (Status s = open_serial(serial_, config_.serial); !s.ok()) return on_serial_failed(s.error().message);
      log(LogLevel::kInfo, "bridge", "serial line reopened", {{"gateway", name_}});
      do_serial_read();
    });
  }

  OsdpRelayConfig config_;
  std::string name_;
  asio::io_context ioc_;
  asio::serial_port serial_;
  asio::steady_timer gap_timer_;
  asio::steady_timer reopen_timer_;
  TcpSingleClient tcp_;
  std::chrono::microseconds gap_;
  std::uint16_t port_ = 0;
  std::array<std::uint8_t, 1024> serial_buf_{};
  std::vector<std::uint8_t> rx_;       // line bytes not yet framed
  std::vector<std::uint8_t> pending_;  // controller bytes waiting for the line
  std::vector<std::uint8_t> out_;      // the write in progress
  bool writing_ = false;
  Clock::time_point last_rx_{};
  Clock::time_point last_garbage_log_{};
  std::atomic<std::uint64_t> connections_{0}, packets_{0}, garbage_{0}, to_line_{0}, to_controller_{0},
      dropped_{0}, tcp_dropped_{0}, reopens_{0};
  std::thread thread_;
};

Result<std::unique_ptr<OsdpRelay>> OsdpRelay::start(const OsdpRelayConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  if (Status s = impl->open(); !s.ok()) return s.error();
  return std::unique_ptr<OsdpRelay>(new OsdpRelay(std::move(impl)));
}

OsdpRelay::OsdpRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OsdpRelay::~OsdpRelay() = default;
std::uint16_t OsdpRelay::port() const { return impl_->port(); }
OsdpRelayStats OsdpRelay::stats() const { return impl_->stats(); }

}  // namespace gatehouse::bridge
