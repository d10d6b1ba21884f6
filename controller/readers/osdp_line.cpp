#include "controller/readers/osdp_line.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <array>
#include <deque>
#include <vector>

#include "base/log.h"

namespace gatehouse::controller::readers_io {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{200};
constexpr std::chrono::milliseconds kMaxBackoff{5'000};
constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::size_t kMaxQueuedBytes = 64 * 1024;

// The parts common to both transports: a write queue, backoff, link reports.
// Stream is asio::ip::tcp::socket or asio::serial_port.
template <typename Stream>
class LineBase : public OsdpLine, public std::enable_shared_from_this<LineBase<Stream>> {
 public:
  LineBase(asio::io_context& ioc, std::string url, LineHandlers handlers, const Clock& clock)
      : strand_(asio::make_strand(ioc)),
        stream_(strand_),
        timer_(strand_),
        url_(std::move(url)),
        handlers_(std::move(handlers)),
        clock_(clock) {}

  void start() override {
    stopped_ = false;
    asio::dispatch(strand_, [self = this->shared_from_this()] { self->do_open(); });
  }

  void stop() override {
    stopped_ = true;
    asio::dispatch(strand_, [self = this->shared_from_this()] {
      self->timer_.cancel();
      self->close_stream();
    });
  }

  void send(std::span<const std::uint8_t> bytes) override {
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    asio::dispatch(strand_, [self = this->shared_from_this(), copy = std::move(copy)]() mutable {
      if (!self->connected_ || self->queued_bytes_ + copy.size() > kMaxQueuedBytes) {
        self->dropped_ += static_cast<std::int64_t>(copy.size());
        return;
      }
      self->queued_bytes_ += copy.size();
      self->queue_.push_back(std::move(copy));
      if (self->queue_.size() == 1) self->do_write();
    });
  }

  bool connected() const override { return connected_; }
  std::int64_t bytes_dropped() const override { return dropped_; }
  const std::string& url() const override { return url_; }

 protected:
  virtual void do_open() = 0;
  virtual void close_stream() = 0;

  void on_opened() {
    connected_ = true;
    backoff_ = kFirstBackoff;
    if (handlers_.on_link) handlers_.on_link(true, "connected to " + url_);
    do_read();
  }

  void on_failed(const std::string& what) {
    bool was_connected = connected_;
    connected_ = false;
    queue_.clear();
    queued_bytes_ = 0;
    close_stream();
    if (stopped_) return;
    if (handlers_.on_link && (was_connected || !reported_down_)) {
      handlers_.on_link(false, what);
    }
    reported_down_ = true;
    timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->stopped_) self->do_open();
    });
  }

  void do_read() {
    stream_.async_read_some(
        asio::buffer(read_buf_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) {
            if (ec != asio::error::operation_aborted) self->on_failed(self->url_ + ": " + ec.message());
            return;
          }
          const MonoTime at = self->clock_.mono();
          if (self->handlers_.on_bytes) {
            self->handlers_.on_bytes(std::span<const std::uint8_t>(self->read_buf_.data(), n), at);
          }
          self->do_read();
        });
  }

  void do_write() {
    asio::async_write(stream_, asio::buffer(queue_.front()),
                      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec) {
                          if (ec != asio::error::operation_aborted) {
                            self->on_failed(self->url_ + ": write: " + ec.message());
                          }
                          return;
                        }
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) self->do_write();
                      });
  }

  asio::strand<asio::io_context::executor_type> strand_;
  Stream stream_;
  asio::steady_timer timer_;
  const std::string url_;
  LineHandlers handlers_;
  const Clock& clock_;
  std::array<std::uint8_t, 2048> read_buf_{};
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  std::chrono::milliseconds backoff_ = kFirstBackoff;
  bool connected_ = false;
  bool stopped_ = false;
  bool reported_down_ = false;
  std::int64_t dropped_ = 0;
};

class TcpLine final : public LineBase<tcp::socket> {
 public:
  TcpLine(asio::io_context& ioc, std::string url, std::string host, std::string port,
          LineHandlers handlers, const Clock& clock)
      : LineBase(ioc, std::move(url), std::move(handlers), clock),
        resolver_(strand_),
        host_(std::move(host)),
        port_(std::move(port)) {}

 private:
  void do_open() override {
    resolver_.async_resolve(
        host_, port_,
        [self = std::static_pointer_cast<TcpLine>(shared_from_this())](
            boost::system::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->on_failed(self->url_ + ": resolve: " + ec.message());
          self->timer_.expires_after(kConnectTimeout);
          self->timer_.async_wait([self](boost::system::error_code tec) {
            if (!tec && !self->connected_) self->stream_.cancel();
          });
          asio::async_connect(self->stream_, results,
                              [self](boost::system::error_code cec, const tcp::endpoint&) {
                                self->timer_.cancel();
                                if (cec) {
                                  return self->on_failed("cannot connect to " + self->url_ + ": " +
                                                         cec.message());
                                }
                                boost::system::error_code ignored;
                                self->stream_.set_option(tcp::no_delay(true), ignored);
                                self->on_opened();
                              });
        });
  }
  void close_stream() override {
    boost::system::error_code ignored;
    stream_.close(ignored);
  }

  tcp::resolver resolver_;
  std::string host_;
  std::string port_;
};

class SerialLine final : public LineBase<asio::serial_port> {
 public:
  SerialLine(asio::io_context& ioc, std::string url, std::string device, unsigned baud,
             LineHandlers handlers, const Clock& clock)
      : LineBase(ioc, std::move(url), std::move(handlers), clock),
        device_(std::move(device)),
        baud_(baud) {}

 private:
  void do_open() override {
    boost::system::error_code ec;
    stream_.open(device_, ec);
    if (!ec) stream_.set_option(asio::serial_port::baud_rate(baud_), ec);
    if (!ec) stream_.set_option(asio::serial_port::character_size(8), ec);
    if (!ec) stream_.set_option(asio::serial_port::parity(asio::serial_port::parity::none), ec);
    if (!ec) stream_.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), ec);
    if (!ec) {
      stream_.set_option(asio::serial_port::flow_control(asio::serial_port::flow_control::none), ec);
    }
    if (ec) return on_failed("cannot open " + device_ + ": " + ec.message());
    on_opened();
  }
  void close_stream() override {
    boost::system::error_code ignored;
    stream_.close(ignored);
  }

  std::string device_;
  unsigned baud_;
};

bool valid_baud(unsigned b) {
  return b == 9600 || b == 19200 || b == 38400 || b == 57600 || b == 115200;
}

}  // namespace

Result<std::shared_ptr<OsdpLine>> OsdpLine::create(asio::io_context& ioc, const std::string& url,
                                                   LineHandlers handlers, const Clock& clock) {
  if (url.rfind("tcp://", 0) == 0) {
    std::string rest = url.substr(6);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      return make_error(ErrorKind::kInvalidInput, "OSDP endpoint '" + url + "' is not tcp://HOST:PORT");
    }
    return std::shared_ptr<OsdpLine>(std::make_shared<TcpLine>(
        ioc, url, rest.substr(0, colon), rest.substr(colon + 1), std::move(handlers), clock));
  }
  if (url.rfind("serial://", 0) == 0) {
    std::string rest = url.substr(9);
    unsigned baud = 9600;
    auto q = rest.find('?');
    std::string device = rest.substr(0, q);
    if (q != std::string::npos) {
      std::string query = rest.substr(q + 1);
      if (query.rfind("baud=", 0) != 0 || query.size() == 5 ||
          query.find_first_not_of("0123456789", 5) != std::string::npos || query.size() > 11) {
        return make_error(ErrorKind::kInvalidInput, "OSDP endpoint '" + url + "': expected ?baud=N");
      }
      baud = static_cast<unsigned>(std::stoul(query.substr(5)));
    }
    if (device.empty() || !valid_baud(baud)) {
      return make_error(ErrorKind::kInvalidInput,
                        "OSDP endpoint '" + url +
                            "' is not serial://DEVICE?baud=N (9600, 19200, 38400, 57600, 115200)");
    }
    return std::shared_ptr<OsdpLine>(
        std::make_shared<SerialLine>(ioc, url, device, baud, std::move(handlers), clock));
  }
  return make_error(ErrorKind::kInvalidInput,
                    "OSDP endpoint '" + url + "' is neither tcp://HOST:PORT nor serial://DEVICE");
}

}  // namespace gatehouse::controller::readers_io
