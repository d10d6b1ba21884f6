#include "firmware-bridge/gw_modbus.h"

#include <modbus.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "base/log.h"

namespace gatehouse::bridge {
namespace {

constexpr int kMbapBytes = 7;  // transaction, protocol, length, unit
constexpr std::size_t kMaxClients = 16;

struct ModbusDeleter {
  void operator()(modbus_t* ctx) const {
    modbus_close(ctx);
    modbus_free(ctx);
  }
};
using ModbusPtr = std::unique_ptr<modbus_t, ModbusDeleter>;

bool send_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

class ModbusGateway::Impl {
 public:
  explicit Impl(ModbusGatewayConfig config) : config_(std::move(config)) {}

  ~Impl() {
    if (thread_.joinable()) {
      std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);
      thread_.join();
    }
    // The TCP context still names the last client served; the clients are closed here, once.
    if (tcp_) modbus_set_socket(tcp_.get(), -1);
    for (int fd : clients_) ::close(fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status open() {
    const auto& s = config_.serial;
    rtu_.reset(modbus_new_rtu(s.device.c_str(), static_cast<int>(s.baud), s.parity, 8, 1));
    if (!rtu_) return make_error(ErrorKind::kInvalidInput, "modbus RTU " + s.device + ": " + modbus_strerror(errno));
    modbus_set_response_timeout(rtu_.get(), static_cast<std::uint32_t>(config_.timeout_ms / 1000),
                                static_cast<std::uint32_t>(config_.timeout_ms % 1000) * 1000);
    // No byte timeout: the whole answer must arrive within timeout_ms.
    modbus_set_byte_timeout(rtu_.get(), 0, 0);
    if (modbus_connect(rtu_.get()) != 0) {
      return make_error(ErrorKind::kIo, "cannot open " + s.device + ": " + modbus_strerror(errno));
    }
    const std::string port = std::to_string(config_.listen.port);
    tcp_.reset(modbus_new_tcp_pi(config_.listen.host.c_str(), port.c_str()));
    if (!tcp_) return make_error(ErrorKind::kInvalidInput, "modbus TCP: " + std::string(modbus_strerror(errno)));
    listen_fd_ = modbus_tcp_pi_listen(tcp_.get(), static_cast<int>(kMaxClients));
    if (listen_fd_ < 0) {
      return make_error(ErrorKind::kIo, "cannot listen on " + config_.listen.host + ":" + port + ": " +
                                            modbus_strerror(errno));
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_fd_ < 0) return make_error(ErrorKind::kInternal, std::string("eventfd: ") + std::strerror(errno));
    log(LogLevel::kInfo, "bridge", "modbus gateway started",
        {{"serial", s.device}, {"baud", std::to_string(s.baud)}, {"parity", std::string(1, s.parity)},
         {"listen", config_.listen.host + ":" + std::to_string(port_)}});
    thread_ = std::thread([this] { run(); });
    return {};
  }

  std::uint16_t port() const { return port_; }
  ModbusGatewayStats stats() const {
    return ModbusGatewayStats{connections_.load(), requests_.load(), answered_.load(),
                              no_answer_.load(), bad_answer_.load(), broadcasts_.load()};
  }

 private:
  void run() {
    std::vector<std::uint8_t> query(MODBUS_TCP_MAX_ADU_LENGTH);
    for (;;) {
      fd_set read_set;
      FD_ZERO(&read_set);
      int max_fd = std::max(wake_fd_, listen_fd_);
      FD_SET(wake_fd_, &read_set);
      FD_SET(listen_fd_, &read_set);
      for (int fd : clients_) {
        FD_SET(fd, &read_set);
        max_fd = std::max(max_fd, fd);
      }
      int n = ::select(max_fd + 1, &read_set, nullptr, nullptr, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        log(LogLevel::kError, "bridge", "modbus gateway select failed", {{"error", std::strerror(errno)}});
        return;
      }
      if (FD_ISSET(wake_fd_, &read_set)) return;
      if (FD_ISSET(listen_fd_, &read_set)) accept_client();
      for (std::size_t i = 0; i < clients_.size();) {
        const int fd = clients_[i];
        if (!FD_ISSET(fd, &read_set)) {
          ++i;
          continue;
        }
        modbus_set_socket(tcp_.get(), fd);
        int len = modbus_receive(tcp_.get(), query.data());
        if (len < 0) {  // closed, reset, or a request that never completed
          ::close(fd);
          clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
          continue;
        }
        if (len >= kMbapBytes + 1 && !serve(fd, query.data(), len)) {
          ::close(fd);
          clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
          continue;
        }
        ++i;
      }
    }
  }

  void accept_client() {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    // libmodbus waits with select(): its descriptors must stay below FD_SETSIZE.
    if (clients_.size() >= kMaxClients || fd >= FD_SETSIZE) {
      log(LogLevel::kWarn, "bridge", "modbus gateway refused a client (too many)", {});
      ::close(fd);
      return;
    }
    clients_.push_back(fd);
    ++connections_;
  }

  // Relays one request; false when the client must be dropped.
  bool serve(int fd, const std::uint8_t* query, int len) {
    ++requests_;
    const std::uint8_t unit = query[6];
    const std::uint8_t function = query[7];
    std::vector<std::uint8_t> raw(query + 6, query + len);  // unit + PDU
    if (unit > 247) return reply_exception(fd, query, kExceptionGatewayPathUnavailable);
    modbus_set_slave(rtu_.get(), unit);
    if (modbus_send_raw_request(rtu_.get(), raw.data(), static_cast<int>(raw.size())) < 0) {
      log(LogLevel::kWarn, "bridge", "modbus RTU write failed; reopening",
          {{"serial", config_.serial.device}, {"error", modbus_strerror(errno)}});
      modbus_close(rtu_.get());
      (void)modbus_connect(rtu_.get());
      ++no_answer_;
      return reply_exception(fd, query, kExceptionGatewayTargetFailed);
    }
    if (unit == 0) {  // broadcast: nobody answers
      ++broadcasts_;
      return true;
    }
    std::uint8_t rsp[MODBUS_RTU_MAX_ADU_LENGTH];
    int rc = modbus_receive_confirmation(rtu_.get(), rsp);
    const int saved = errno;
    if (rc < 0 && saved == ETIMEDOUT) {
      ++no_answer_;
      log(LogLevel::kDebug, "bridge", "modbus RTU no answer", {{"unit", std::to_string(unit)}});
      return reply_exception(fd, query, kExceptionGatewayTargetFailed);
    }
    // libmodbus checked the CRC and (returning 0) the unit; the function must match too.
    if (rc < 4 || rsp[0] != unit || (rsp[1] & 0x7F) != function) {
      ++bad_answer_;
      log(LogLevel::kDebug, "bridge", "modbus RTU bad answer",
          {{"unit", std::to_string(unit)}, {"error", rc < 0 ? modbus_strerror(saved) : "wrong unit or function"}});
      modbus_flush(rtu_.get());  // what is left of it must not pass for the next answer
      return reply_exception(fd, query, kExceptionGatewayTargetFailed);
    }
    ++answered_;
    // RTU: unit, PDU, CRC 2. TCP: MBAP (the request's transaction id), PDU.
    const int pdu_len = rc - 3;
    std::uint8_t out[kMbapBytes + MODBUS_MAX_PDU_LENGTH];
    std::memcpy(out, query, kMbapBytes);
    out[4] = static_cast<std::uint8_t>((pdu_len + 1) >> 8);
    out[5] = static_cast<std::uint8_t>((pdu_len + 1) & 0xFF);
    std::memcpy(out + kMbapBytes, rsp + 1, static_cast<std::size_t>(pdu_len));
    return send_all(fd, out, static_cast<std::size_t>(kMbapBytes + pdu_len));
  }

  bool reply_exception(int fd, const std::uint8_t* query, std::uint8_t code) {
    std::uint8_t out[kMbapBytes + 2];
    std::memcpy(out, query, kMbapBytes);
    out[4] = 0;
    out[5] = 3;
    out[7] = static_cast<std::uint8_t>(query[7] | 0x80);
    out[8] = code;
    return send_all(fd, out, sizeof out);
  }

  ModbusGatewayConfig config_;
  ModbusPtr rtu_;
  ModbusPtr tcp_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<int> clients_;
  std::atomic<std::uint64_t> connections_{0}, requests_{0}, answered_{0}, no_answer_{0}, bad_answer_{0},
      broadcasts_{0};
  std::thread thread_;
};

Result<std::unique_ptr<ModbusGateway>> ModbusGateway::start(const ModbusGatewayConfig& config) {
  auto impl = std::make_unique<Impl>(config);
  if (Status s = impl->open(); !s.ok()) return s.error();
  return std::unique_ptr<ModbusGateway>(new ModbusGateway(std::move(impl)));
}

ModbusGateway::ModbusGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModbusGateway::~ModbusGateway() = default;
std::uint16_t ModbusGateway::port() const { return impl_->port(); }
ModbusGatewayStats ModbusGateway::stats() const { return impl_->stats(); }

}  // namespace gatehouse::bridge
