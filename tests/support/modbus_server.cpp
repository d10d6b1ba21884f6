#include "tests/support/modbus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace gatehouse::test_support {
namespace {

constexpr std::size_t kMaxFrame = MODBUS_TCP_MAX_ADU_LENGTH;
// An RTU request whose bytes stop arriving for this long is dropped.
constexpr int kRtuGapMs = 50;
constexpr int kRtuBaud = 115200;

Error failure(const char* what) {
  std::string message = what;
  message += ": ";
  message += std::strerror(errno);
  return make_error(ErrorKind::kIo, std::move(message));
}

// The Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), sent low
// byte first.
std::uint16_t crc16(const std::uint8_t* data, std::size_t n) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001)
                      : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

// The length of the RTU request starting at buf, once enough of it is there
// to tell: 0 = need more bytes, -1 = not a request we can frame (resync).
int rtu_request_length(const std::vector<std::uint8_t>& buf) {
  if (buf.size() < 2) return 0;
  switch (buf[1]) {
    case MODBUS_FC_READ_COILS:
    case MODBUS_FC_READ_DISCRETE_INPUTS:
    case MODBUS_FC_READ_HOLDING_REGISTERS:
    case MODBUS_FC_READ_INPUT_REGISTERS:
    case MODBUS_FC_WRITE_SINGLE_COIL:
    case MODBUS_FC_WRITE_SINGLE_REGISTER:
      return 8;
    case MODBUS_FC_WRITE_MULTIPLE_COILS:
    case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
      return buf.size() < 7 ? 0 : 9 + buf[6];
    default:
      return -1;
  }
}

struct UnitState {
  ModbusServer::Unit cfg;
  modbus_mapping_t* map = nullptr;
  std::set<int> stuck_coils;
};

}  // namespace

class ModbusServer::Impl {
 public:
  Impl(bool tcp, std::vector<Unit> units, int port) : tcp_(tcp), port_(port) {
    for (const auto& u : units) {
      UnitState s;
      s.cfg = u;
      s.map = modbus_mapping_new_start_address(
          static_cast<unsigned>(u.coil_base), static_cast<unsigned>(u.coils),
          static_cast<unsigned>(u.input_base), static_cast<unsigned>(u.inputs), 0, 0, 0, 0);
      units_.emplace(u.id, s);
    }
  }

  ~Impl() {
    stop();
    for (auto& [id, u] : units_) modbus_mapping_free(u.map);
    for (int fd : clients_) ::close(fd);
    for (int fd : {listen_fd_, master_fd_, slave_fd_, wake_fd_, render_[0], render_[1]}) {
      if (fd >= 0) ::close(fd);
    }
    if (ctx_ != nullptr) modbus_free(ctx_);
  }

  Status open() {
    for (const auto& [id, u] : units_) {
      if (u.map == nullptr) return failure("modbus_mapping_new_start_address");
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return failure("eventfd");
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, render_.data()) != 0) {
      return failure("socketpair");
    }
    return tcp_ ? open_tcp() : open_rtu();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    stop_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const {
    if (tcp_) return "tcp://127.0.0.1:" + std::to_string(port_);
    std::string out = "rtu://";
    out += device_;
    out += "?baud=";
    out += std::to_string(kRtuBaud);
    out += "&parity=N&data=8&stop=1";
    return out;
  }
  int port() const { return port_; }
  const std::string& device() const { return device_; }

  void set_input(int unit, int index, bool value) {
    std::lock_guard lock(mu_);
    UnitState* u = find(unit);
    if (u != nullptr && index >= 0 && index < u->cfg.inputs) {
      u->map->tab_input_bits[index] = value ? 1 : 0;
    }
  }

  bool coil(int unit, int index) const {
    std::lock_guard lock(mu_);
    auto it = units_.find(unit);
    if (it == units_.end() || index < 0 || index >= it->second.cfg.coils) return false;
    return it->second.map->tab_bits[index] != 0;
  }

  void set_coil(int unit, int index, bool value) {
    std::lock_guard lock(mu_);
    UnitState* u = find(unit);
    if (u != nullptr && index >= 0 && index < u->cfg.coils) u->map->tab_bits[index] = value;
  }

  void set_fault(Fault fault, int unit, int exception_code, int times) {
    std::lock_guard lock(mu_);
    fault_ = fault;
    fault_unit_ = unit;
    exception_code_ = exception_code;
    fault_times_ = times;
  }

  void set_lock_fault(int unit, int index, bool stuck) {
    std::lock_guard lock(mu_);
    UnitState* u = find(unit);
    if (u == nullptr) return;
    if (stuck) {
      u->stuck_coils.insert(index);
    } else {
      u->stuck_coils.erase(index);
    }
  }

  int requests(int unit, int function) const {
    std::lock_guard lock(mu_);
    return count_locked(unit, function);
  }

  int connections() const { return connections_.load(); }

  bool wait_requests(int unit, int function, int n, std::chrono::milliseconds limit) const {
    std::unique_lock lock(mu_);
    return seen_.wait_for(lock, limit, [&] { return count_locked(unit, function) >= n; });
  }

 private:
  UnitState* find(int unit) {
    auto it = units_.find(unit);
    return it == units_.end() ? nullptr : &it->second;
  }

  int count_locked(int unit, int function) const {
    int n = 0;
    for (const auto& [key, count] : requests_) {
      if (key.first == unit && (function == 0 || key.second == function)) n += count;
    }
    return n;
  }

  Status open_tcp() {
    ctx_ = modbus_new_tcp("127.0.0.1", port_);
    if (ctx_ == nullptr) return failure("modbus_new_tcp");
    listen_fd_ = modbus_tcp_listen(ctx_, 16);
    if (listen_fd_ < 0) return failure("modbus_tcp_listen");
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return failure("getsockname");
    }
    port_ = ntohs(addr.sin_port);
    return {};
  }

  Status open_rtu() {
    master_fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_fd_ < 0) return failure("posix_openpt");
    if (::grantpt(master_fd_) != 0) return failure("grantpt");
    if (::unlockpt(master_fd_) != 0) return failure("unlockpt");
    std::array<char, 128> name{};
    if (::ptsname_r(master_fd_, name.data(), name.size()) != 0) return failure("ptsname_r");
    device_ = name.data();
    ::fcntl(master_fd_, F_SETFL, ::fcntl(master_fd_, F_GETFL) | O_NONBLOCK);
    // Hold the slave side open, raw: no echo of our answers back to us, and
    // the line stays up while clients open and close it.
    slave_fd_ = ::open(device_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave_fd_ < 0) return failure("open pty slave");
    termios tios{};
    if (::tcgetattr(slave_fd_, &tios) != 0) return failure("tcgetattr");
    ::cfmakeraw(&tios);
    if (::tcsetattr(slave_fd_, TCSANOW, &tios) != 0) return failure("tcsetattr");
    ctx_ = modbus_new_rtu(device_.c_str(), kRtuBaud, 'N', 8, 1);
    if (ctx_ == nullptr) return failure("modbus_new_rtu");
    // Never connected: modbus_reply writes to whatever socket it is given.
    modbus_set_socket(ctx_, master_fd_);
    return {};
  }

  void run() {
    // libmodbus sleeps for the response timeout before some exception
    // replies; make that sleep nothing.
    modbus_set_response_timeout(ctx_, 0, 1);
    while (!stop_.load()) {
      std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
      if (tcp_) {
        fds.push_back({listen_fd_, POLLIN, 0});
        for (int fd : clients_) fds.push_back({fd, POLLIN, 0});
      } else {
        fds.push_back({master_fd_, POLLIN, 0});
      }
      const int timeout = (!tcp_ && !rtu_buf_.empty()) ? kRtuGapMs : -1;
      const int rc = ::poll(fds.data(), fds.size(), timeout);
      if (rc < 0) continue;  // EINTR
      if (stop_.load()) break;
      if (tcp_) {
        serve_tcp(fds);
      } else if (rc == 0) {
        rtu_buf_.clear();  // a partial request that stopped: drop it
      } else if (fds[1].revents != 0) {
        serve_rtu();
      }
    }
  }

  void serve_tcp(const std::vector<pollfd>& fds) {
    if (fds[1].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        clients_.push_back(fd);
        connections_.fetch_add(1);
      }
    }
    std::vector<int> gone;
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      std::array<std::uint8_t, kMaxFrame> req{};
      modbus_set_socket(ctx_, fd);
      const int n = modbus_receive(ctx_, req.data());
      if (n < 0 || (n > 0 && !answer(fd, req.data(), n))) gone.push_back(fd);
    }
    for (int fd : gone) {
      ::close(fd);
      clients_.erase(std::remove(clients_.begin(), clients_.end(), fd), clients_.end());
    }
  }

  void serve_rtu() {
    std::array<std::uint8_t, kMaxFrame> chunk{};
    const auto n = ::read(master_fd_, chunk.data(), chunk.size());
    if (n <= 0) return;
    rtu_buf_.insert(rtu_buf_.end(), chunk.begin(), chunk.begin() + n);
    for (;;) {
      const int len = rtu_request_length(rtu_buf_);
      if (len < 0) {
        rtu_buf_.clear();  // not a request we know: resync on the next one
        return;
      }
      if (len == 0 || rtu_buf_.size() < static_cast<std::size_t>(len)) return;
      std::vector<std::uint8_t> frame(rtu_buf_.begin(), rtu_buf_.begin() + len);
      rtu_buf_.erase(rtu_buf_.begin(), rtu_buf_.begin() + len);
      const std::uint16_t crc = crc16(frame.data(), frame.size() - 2);
      const std::uint16_t got =
          static_cast<std::uint16_t>(frame[frame.size() - 2] | (frame[frame.size() - 1] << 8));
      if (crc != got) {
        rtu_buf_.clear();  // a slave stays silent on a bad CRC
        return;
      }
      answer(master_fd_, frame.data(), static_cast<int>(frame.size()));
    }
  }

  // Answers one request on fd, as the fault in force says. false when the
  // connection is to be dropped.
  bool answer(int fd, std::uint8_t* req, int len) {
    const int h = tcp_ ? 7 : 1;
    const int unit = req[h - 1];
    const int function = req[h];
    std::lock_guard lock(mu_);
    ++requests_[{unit, function}];
    seen_.notify_all();
    UnitState* u = find(unit);
    if (u == nullptr) return true;  // no such unit here: nobody answers

    Fault fault = Fault::kNone;
    if (fault_ != Fault::kNone && (fault_unit_ == 0 || fault_unit_ == unit) && fault_times_ != 0) {
      fault = fault_;
      if (fault_times_ > 0) --fault_times_;
    }
    modbus_set_socket(ctx_, fd);
    switch (fault) {
      case Fault::kNone:
        reply(*u, req, len);
        return true;
      case Fault::kSilent:
        return true;
      case Fault::kDrop:
        return !tcp_;
      case Fault::kException:
        modbus_reply_exception(ctx_, req, static_cast<unsigned>(exception_code_));
        return true;
      case Fault::kWrongUnit: {
        std::vector<std::uint8_t> other(req, req + len);
        other[static_cast<std::size_t>(h - 1)] = static_cast<std::uint8_t>(unit % 247 + 1);
        write_all(fd, render(*u, other.data(), len));
        return true;
      }
      case Fault::kGarbage: {
        std::vector<std::uint8_t> junk;
        if (tcp_) {
          junk = {0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x03, 0x5A, 0x02, 0x01, 0x5A, 0xA5, 0x5A};
        } else {
          // Looks like an answer from the unit asked, but the CRC is wrong.
          junk = {static_cast<std::uint8_t>(unit),
                  static_cast<std::uint8_t>(function),
                  0x01,
                  0x5A,
                  0x00,
                  0x00};
        }
        write_all(fd, junk);
        return true;
      }
      case Fault::kTruncated: {
        std::vector<std::uint8_t> full = render(*u, req, len);
        full.resize(full.size() / 2);
        write_all(fd, full);
        return true;
      }
    }
    return true;
  }

  // modbus_reply with the unit's map; a stuck coil keeps its value.
  void reply(UnitState& u, const std::uint8_t* req, int len) {
    const int h = tcp_ ? 7 : 1;
    int stuck_index = -1;
    std::uint8_t stuck_value = 0;
    if (req[h] == MODBUS_FC_WRITE_SINGLE_COIL) {
      const int index = ((req[h + 1] << 8) | req[h + 2]) - u.cfg.coil_base;
      if (u.stuck_coils.contains(index) && index >= 0 && index < u.cfg.coils) {
        stuck_index = index;
        stuck_value = u.map->tab_bits[index];
      }
    }
    modbus_reply(ctx_, req, len, u.map);
    if (stuck_index >= 0) u.map->tab_bits[stuck_index] = stuck_value;
  }

  // The bytes the right answer would be, without sending them: modbus_reply
  // into a socket pair.
  std::vector<std::uint8_t> render(UnitState& u, const std::uint8_t* req, int len) {
    const int fd = modbus_get_socket(ctx_);
    modbus_set_socket(ctx_, render_[0]);
    reply(u, req, len);
    modbus_set_socket(ctx_, fd);
    std::array<std::uint8_t, kMaxFrame> buf{};
    const auto n = ::recv(render_[1], buf.data(), buf.size(), MSG_DONTWAIT);
    return n > 0 ? std::vector<std::uint8_t>(buf.begin(), buf.begin() + n)
                 : std::vector<std::uint8_t>{};
  }

  static void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
    if (bytes.empty()) return;
    [[maybe_unused]] auto n = ::write(fd, bytes.data(), bytes.size());  // loopback: all or broken
  }

  const bool tcp_;
  std::map<int, UnitState> units_;  // guarded by mu_ (the maps' contents)
  mutable std::mutex mu_;
  mutable std::condition_variable seen_;
  std::map<std::pair<int, int>, int> requests_;  // (unit, function) -> count; guarded by mu_
  Fault fault_ = Fault::kNone;                   // guarded by mu_, as the three below
  int fault_unit_ = 0;
  int exception_code_ = 2;
  int fault_times_ = -1;
  std::atomic<int> connections_{0};

  std::atomic<bool> stop_{false};
  std::thread thread_;
  int wake_fd_ = -1;
  std::array<int, 2> render_{-1, -1};
  modbus_t* ctx_ = nullptr;  // server thread only after start()
  int listen_fd_ = -1;
  std::vector<int> clients_;
  int port_ = 0;
  int master_fd_ = -1;
  int slave_fd_ = -1;
  std::string device_;
  std::vector<std::uint8_t> rtu_buf_;
};

Result<std::unique_ptr<ModbusServer>> ModbusServer::tcp(std::vector<Unit> units, int port) {
  auto impl = std::make_unique<Impl>(true, std::move(units), port);
  if (Status st = impl->open(); !st.ok()) return st.error();
  impl->start();
  return std::unique_ptr<ModbusServer>(new ModbusServer(std::move(impl)));
}

Result<std::unique_ptr<ModbusServer>> ModbusServer::rtu(std::vector<Unit> units) {
  auto impl = std::make_unique<Impl>(false, std::move(units), 0);
  if (Status st = impl->open(); !st.ok()) return st.error();
  impl->start();
  return std::unique_ptr<ModbusServer>(new ModbusServer(std::move(impl)));
}

ModbusServer::ModbusServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModbusServer::~ModbusServer() = default;

std::string ModbusServer::url() const {
  return impl_->url();
}
int ModbusServer::port() const {
  return impl_->port();
}
const std::string& ModbusServer::device() const {
  return impl_->device();
}
void ModbusServer::set_input(int unit, int index, bool value) {
  impl_->set_input(unit, index, value);
}
bool ModbusServer::coil(int unit, int index) const {
  return impl_->coil(unit, index);
}
void ModbusServer::set_coil(int unit, int index, bool value) {
  impl_->set_coil(unit, index, value);
}
void ModbusServer::set_fault(Fault fault, int unit, int exception_code, int times) {
  impl_->set_fault(fault, unit, exception_code, times);
}
void ModbusServer::set_lock_fault(int unit, int index, bool stuck) {
  impl_->set_lock_fault(unit, index, stuck);
}
int ModbusServer::requests(int unit, int function) const {
  return impl_->requests(unit, function);
}
int ModbusServer::connections() const {
  return impl_->connections();
}
bool ModbusServer::wait_requests(int unit, int function, int n,
                                 std::chrono::milliseconds limit) const {
  return impl_->wait_requests(unit, function, n, limit);
}

}  // namespace gatehouse::test_support
