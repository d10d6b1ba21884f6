#include "firmware-bridge/gw_wiegand.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <atomic>
#include <deque>
#include <thread>

#include "base/log.h"
#include "firmware-bridge/gw_firmware_line.h"
#include "firmware-bridge/gw_serial.h"
#include "firmware-bridge/gw_tcp.h"
#include "readers/osdp_pd.h"

namespace gatehouse::bridge {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
namespace osdp = readers::osdp;

namespace {
constexpr auto kWatchdogPeriod = std::chrono::seconds(1);
constexpr auto kReopenDelay = std::chrono::seconds(1);
constexpr std::size_t kMaxFeedbackQueue = 64;

MonoTime mono_now() {
  return MonoTime{std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch())
                      .count()};
}

// A bad line may hold any byte; the log gets '?' for the unprintable ones.
std::string printable(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  }
  return s;
}

osdp::PdSettings pd_settings(std::uint8_t address) {
  osdp::PdSettings s;
  s.address = address;
  s.identity.model = 0x57;  // 'W': a Wiegand reader behind gatehouse-bridge
  s.identity.version = 1;
  s.capabilities = {{3, 1, 1} /* reader LED control */, {5, 1, 1} /* audible output */,
                    {8, 1, 0} /* check character: CRC */};
  s.keypad = true;
  return s;
}
}  // namespace

class WiegandReader::Impl {
 public:
  Impl(WiegandReaderConfig config, WiegandReaderOptions options)
      : config_(std::move(config)),
        options_(options),
        name_("wiegand_reader " + config_.serial.device),
        serial_(ioc_),
        watchdog_(ioc_),
        reopen_timer_(ioc_),
        tcp_(ioc_, name_,
             TcpHandlers{.connected = [this](const std::string&) { connections_ = tcp_.connections(); },
                         .bytes = [this](std::span<const std::uint8_t> b) { on_tcp_bytes(b); },
                         .disconnected = nullptr}),
        pd_(pd_settings(config_.address), [this](std::span<const std::uint8_t> b) { tcp_.send(b); }),
        limiter_(options.max_lines_per_second) {}

  ~Impl() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Status open() {
    if (Status s = open_serial(serial_, config_.serial); !s.ok()) return s;
    if (Status s = tcp_.listen(config_.listen); !s.ok()) return s;
    port_ = tcp_.port();
    tcp_.start();
    last_heard_ = SteadyClock::now();
    do_serial_read();
    arm_watchdog();
    log(LogLevel::kInfo, "bridge", "wiegand reader started",
        {{"serial", config_.serial.device}, {"address", std::to_string(config_.address)},
         {"listen", config_.listen.host + ":" + std::to_string(port_)}});
    thread_ = std::thread([this] { ioc_.run(); });
    return {};
  }

  std::uint16_t port() const { return port_; }
  WiegandReaderStats stats() const {
    WiegandReaderStats s;
    s.lines = lines_;
    s.cards = cards_;
    s.keys = keys_;
    s.heartbeats = heartbeats_;
    s.bad_lines = bad_lines_;
    s.rate_limited = rate_limited_;
    s.silent_reports = silent_reports_;
    s.feedback_lines = feedback_lines_;
    s.connections = connections_;
    return s;
  }

 private:
  // ---- controller side: the PD ----
  void on_tcp_bytes(std::span<const std::uint8_t> bytes) {
    pd_.receive(bytes, mono_now());
    if (pd_.led_commands() != leds_seen_) {
      leds_seen_ = pd_.led_commands();
      if (pd_.last_led()) {
        if (auto line = led_line(*pd_.last_led())) send_feedback(*line);
      }
    }
    if (pd_.buzzer_commands() != buzzers_seen_) {
      buzzers_seen_ = pd_.buzzer_commands();
      if (pd_.last_buzzer()) send_feedback(buzzer_line(*pd_.last_buzzer()));
    }
  }

  void send_feedback(std::string line) {
    if (!serial_.is_open() || feedback_.size() >= kMaxFeedbackQueue) return;
    feedback_.push_back(std::move(line));
    if (feedback_.size() == 1) do_serial_write();
  }

  void do_serial_write() {
    asio::async_write(serial_, asio::buffer(feedback_.front()), [this](boost::system::error_code ec, std::size_t) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return on_serial_failed("write: " + ec.message());
      ++feedback_lines_;
      feedback_.pop_front();
      if (!feedback_.empty()) do_serial_write();
    });
  }

  // ---- firmware side ----
  void do_serial_read() {
    serial_.async_read_some(asio::buffer(buf_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return on_serial_failed(ec.message());
      const std::uint64_t overlong_before = splitter_.overlong_lines();
      for (const std::string& line : splitter_.feed(std::string_view(reinterpret_cast<const char*>(buf_.data()), n))) {
        on_line(line);
      }
      if (splitter_.overlong_lines() != overlong_before) {
        bad_lines_ += splitter_.overlong_lines() - overlong_before;
        log(LogLevel::kWarn, "bridge", "firmware line too long; discarded",
            {{"gateway", name_}, {"bad_lines_total", std::to_string(bad_lines_.load())}});
      }
      do_serial_read();
    });
  }

  void on_line(const std::string& line) {
    const auto now = SteadyClock::now();
    bool first_refusal = false;
    if (!limiter_.admit(now, first_refusal)) {
      ++rate_limited_;
      if (first_refusal) {
        log(LogLevel::kWarn, "bridge", "firmware floods the line; lines dropped for the rest of this second",
            {{"gateway", name_}, {"limit_per_s", std::to_string(options_.max_lines_per_second)},
             {"rate_limited_total", std::to_string(rate_limited_.load())}});
      }
      return;
    }
    Result<FirmwareLine> parsed = parse_firmware_line(line);
    if (!parsed.ok()) {
      ++bad_lines_;
      log(LogLevel::kWarn, "bridge", "bad firmware line",
          {{"gateway", name_}, {"error", parsed.error().message}, {"line", printable(line.substr(0, 40))},
           {"bad_lines_total", std::to_string(bad_lines_.load())}});
      return;
    }
    ++lines_;
    if (silent_) {
      silent_ = false;
      log(LogLevel::kInfo, "bridge", "firmware heard again", {{"gateway", name_}});
    }
    last_heard_ = now;
    std::visit([this](const auto& l) { act(l); }, parsed.value());
  }

  void act(const CardLine& l) {
    ++cards_;
    pd_.present_card(l.card);
    log(LogLevel::kDebug, "bridge", "card", {{"gateway", name_}, {"bits", std::to_string(l.card.bit_count)}});
  }
  void act(const KeyLine& l) {
    ++keys_;
    if (Status s = pd_.keypad(l.digits); !s.ok()) {
      log(LogLevel::kWarn, "bridge", "keypad refused", {{"gateway", name_}, {"error", s.error().message}});
    }
  }
  void act(const TamperLine& l) { pd_.set_tamper(l.tamper); }
  void act(const HeartbeatLine&) { ++heartbeats_; }

  void arm_watchdog() {
    watchdog_.expires_after(kWatchdogPeriod);
    watchdog_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (!silent_ && SteadyClock::now() - last_heard_ >= options_.silent_after) {
        silent_ = true;
        ++silent_reports_;
        log(LogLevel::kWarn, "bridge", "firmware silent",
            {{"gateway", name_},
             {"silent_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              SteadyClock::now() - last_heard_)
                                              .count())}});
      }
      arm_watchdog();
    });
  }

  void on_serial_failed(const std::string& why) {
    log(LogLevel::kError, "bridge", "serial line failed; reopening", {{"gateway", name_}, {"error", why}});
    boost::system::error_code ignored;
    serial_.close(ignored);
    feedback_.clear();
    reopen_timer_.expires_after(kReopenDelay);
    reopen_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (Status s = open_serial(serial_, config_.serial); !s.ok()) return on_serial_failed(s.error().message);
      do_serial_read();
    });
  }

  WiegandReaderConfig config_;
  WiegandReaderOptions options_;
  std::string name_;
  asio::io_context ioc_;
  asio::serial_port serial_;
  asio::steady_timer watchdog_;
  asio::steady_timer reopen_timer_;
  TcpSingleClient tcp_;
  osdp::PeripheralDevice pd_;
  LineSplitter splitter_;
  LineRateLimiter limiter_;
  std::array<std::uint8_t, 512> buf_{};
  std::deque<std::string> feedback_;
  std::size_t leds_seen_ = 0;
  std::size_t buzzers_seen_ = 0;
  SteadyClock::time_point last_heard_{};
  bool silent_ = false;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> lines_{0}, cards_{0}, keys_{0}, heartbeats_{0}, bad_lines_{0}, rate_limited_{0},
      silent_reports_{0}, feedback_lines_{0}, connections_{0};
  std::thread thread_;
};

Result<std::unique_ptr<WiegandReader>> WiegandReader::start(const WiegandReaderConfig& config,
                                                            WiegandReaderOptions options) {
  auto impl = std::make_unique<Impl>(config, options);
  if (Status s = impl->open(); !s.ok()) return s.error();
  return std::unique_ptr<WiegandReader>(new WiegandReader(std::move(impl)));
}

WiegandReader::WiegandReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WiegandReader::~WiegandReader() = default;
std::uint16_t WiegandReader::port() const { return impl_->port(); }
WiegandReaderStats WiegandReader::stats() const { return impl_->stats(); }

}  // namespace gatehouse::bridge
