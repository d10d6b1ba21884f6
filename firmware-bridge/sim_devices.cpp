#include "firmware-bridge/sim_devices.h"

#include <arpa/inet.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>

#include "base/log.h"

namespace gatehouse::bridge {
namespace {

Error sys_error(std::string what) {
  what += ": ";
  what += std::strerror(errno);
  return make_error(ErrorKind::kIo, std::move(what));
}

std::string where(const TcpEndpoint& ep) {
  std::string s = "tcp://";
  s += ep.host;
  s += ':';
  s += std::to_string(ep.port);
  return s;
}

std::string listen_failure(const TcpEndpoint& ep) {
  std::string s = "cannot listen on ";
  s += where(ep);
  return s;
}

}  // namespace

// ---- TcpListener -----------------------------------------------------------

Status TcpListener::adopt(int listen_fd) {
  listen_fd_ = listen_fd;
  ++generation_;
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Error e = sys_error("getsockname");
    close();
    return e;
  }
  endpoint_.port = ntohs(addr.sin_port);
  return {};
}

Status TcpListener::listen() {
  if (listening()) return {};
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(endpoint_.port));
  ::inet_pton(AF_INET, endpoint_.host.c_str(), &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    Error e = sys_error(listen_failure(endpoint_));
    ::close(fd);
    return e;
  }
  return adopt(fd);
}

void TcpListener::close() {
  for (int fd : clients_) ::close(fd);
  clients_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  ++generation_;
}

void TcpListener::set_refusing(bool refusing) {
  if (refusing && !refusing_) {
    for (int fd : clients_) ::close(fd);
    clients_.clear();
    ++generation_;
  }
  refusing_ = refusing;
}

int TcpListener::accept_one() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return -1;
  if (refusing_) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  clients_.push_back(fd);
  return fd;
}

void TcpListener::drop(int fd) {
  auto it = std::find(clients_.begin(), clients_.end(), fd);
  if (it == clients_.end()) return;
  clients_.erase(it);
  ::close(fd);
}

// ---- ReaderLine --------------------------------------------------------------

ReaderLine::~ReaderLine() { tcp_.close(); }

SimReader& ReaderLine::add(const site::Reader& reader, std::uint64_t seed) {
  auto r = std::make_unique<SimReader>();
  r->config = reader;
  readers::osdp::PdSettings s;
  s.address = static_cast<std::uint8_t>(reader.address);
  const auto serial = static_cast<std::uint32_t>(std::hash<std::string>{}(reader.id));
  s.identity = readers::osdp::Identity{{0x47, 0x48, 0x42}, 1, 1, serial, {1, 0, 0}};
  // Card data, LED, buzzer, CRC; Secure Channel when configured.
  s.capabilities = {{3, 1, 1}, {4, 1, 1}, {5, 1, 1}, {8, 1, 1}};
  if (reader.secure_channel) s.capabilities.push_back({9, 1, 1});
  s.keypad = reader.keypad;
  // A reader configured secure starts in install mode (accepts SCBK-D, then
  // KEYSET) and keeps the key it receives for the process lifetime.
  s.install_mode = reader.secure_channel;
  s.require_secure = reader.secure_channel;
  s.random_seed = seed ^ serial;
  r->pd = std::make_unique<readers::osdp::PeripheralDevice>(
      s, [this](std::span<const std::uint8_t> bytes) { send(bytes); });
  readers_.push_back(std::move(r));
  return *readers_.back();
}

void ReaderLine::send(std::span<const std::uint8_t> bytes) {
  if (conn_ < 0) return;
  // Loopback or LAN, tiny packets: all or the connection is broken (then the
  // next recv sees it).
  [[maybe_unused]] const auto n = ::send(conn_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

Status ReaderLine::update() {
  const bool any = std::any_of(readers_.begin(), readers_.end(), [](const auto& r) { return r->plugged; });
  if (any && !tcp_.listening()) {
    Status st = tcp_.listen();
    if (!st.ok()) return st;
    log(LogLevel::kInfo, "sim", "reader line listening", {{"line", name_}, {"port", std::to_string(tcp_.port())}});
  } else if (any && tcp_.refusing()) {
    tcp_.set_refusing(false);
    log(LogLevel::kInfo, "sim", "reader line serving again", {{"line", name_}});
  } else if (!any && tcp_.listening() && !tcp_.refusing()) {
    tcp_.set_refusing(true);
    conn_ = -1;
    log(LogLevel::kInfo, "sim", "reader line unplugged (refusing connections)", {{"line", name_}});
  }
  return {};
}

void ReaderLine::add_fds(std::vector<pollfd>& fds, std::vector<std::pair<PollOwner*, std::uint64_t>>& owners) {
  if (!tcp_.listening()) return;
  fds.push_back({tcp_.listen_fd(), POLLIN, 0});
  owners.emplace_back(this, tcp_.generation());
  for (int fd : tcp_.clients()) {
    fds.push_back({fd, POLLIN, 0});
    owners.emplace_back(this, tcp_.generation());
  }
}

void ReaderLine::on_ready(int fd, std::uint64_t generation, MonoTime now) {
  if (generation != tcp_.generation() || !tcp_.listening()) return;
  if (fd == tcp_.listen_fd()) {
    const int c = tcp_.accept_one();
    if (c < 0) return;
    // A newer connection replaces the older (the controller reconnecting).
    if (conn_ >= 0) tcp_.drop(conn_);
    conn_ = c;
    log(LogLevel::kInfo, "sim", "reader line connected", {{"line", name_}});
    return;
  }
  std::array<std::uint8_t, 2048> buf{};
  const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
  if (got <= 0) {
    if (fd == conn_) conn_ = -1;
    tcp_.drop(fd);
    log(LogLevel::kInfo, "sim", "reader line disconnected", {{"line", name_}});
    return;
  }
  if (fd != conn_) return;
  const std::span<const std::uint8_t> bytes(buf.data(), static_cast<std::size_t>(got));
  for (auto& r : readers_) {
    if (r->plugged) r->pd->receive(bytes, now);
  }
}

// ---- Modbus ------------------------------------------------------------------

bool SimUnit::coil(int index) const {
  return index >= 0 && index < coils && map->tab_bits[index] != 0;
}

void SimUnit::set_input(int index, bool value) {
  if (index >= 0 && index < config.input_count) map->tab_input_bits[index] = value ? 1 : 0;
}

ModbusEndpoint::~ModbusEndpoint() {
  tcp_.close();
  for (auto& u : units_) modbus_mapping_free(u->map);
  if (ctx_ != nullptr) modbus_free(ctx_);
}

Result<SimUnit*> ModbusEndpoint::add(const site::IoModule& module, int coils) {
  auto u = std::make_unique<SimUnit>();
  u->config = module;
  u->coils = std::min(coils, 65536 - module.coil_base);
  u->map = modbus_mapping_new_start_address(static_cast<unsigned>(module.coil_base), static_cast<unsigned>(u->coils),
                                            static_cast<unsigned>(module.input_base),
                                            static_cast<unsigned>(module.input_count), 0, 0, 0, 0);
  if (u->map == nullptr) return sys_error(std::string("modbus_mapping_new_start_address for ").append(module.id));
  units_.push_back(std::move(u));
  return units_.back().get();
}

Status ModbusEndpoint::update() {
  const bool any = std::any_of(units_.begin(), units_.end(), [](const auto& u) { return u->plugged; });
  if (any && !tcp_.listening()) {
    // A fresh context each time: it carries the port, which is only known
    // after the first listen when the site asked for port 0.
    if (ctx_ != nullptr) modbus_free(ctx_);
    ctx_ = modbus_new_tcp(tcp_.endpoint().host.c_str(), tcp_.port());
    if (ctx_ == nullptr) return sys_error("modbus_new_tcp");
    // libmodbus sleeps for the response timeout before some exception replies.
    modbus_set_response_timeout(ctx_, 0, 1);
    const int fd = modbus_tcp_listen(ctx_, 8);
    if (fd < 0) return sys_error(listen_failure(tcp_.endpoint()));
    Status st = tcp_.adopt(fd);
    if (!st.ok()) return st;
    log(LogLevel::kInfo, "sim", "io endpoint listening", {{"endpoint", name_}, {"port", std::to_string(tcp_.port())}});
  } else if (any && tcp_.refusing()) {
    tcp_.set_refusing(false);
    log(LogLevel::kInfo, "sim", "io endpoint serving again", {{"endpoint", name_}});
  } else if (!any && tcp_.listening() && !tcp_.refusing()) {
    tcp_.set_refusing(true);
    log(LogLevel::kInfo, "sim", "io endpoint unplugged (refusing connections)", {{"endpoint", name_}});
  }
  return {};
}

void ModbusEndpoint::add_fds(std::vector<pollfd>& fds, std::vector<std::pair<PollOwner*, std::uint64_t>>& owners) {
  if (!tcp_.listening()) return;
  fds.push_back({tcp_.listen_fd(), POLLIN, 0});
  owners.emplace_back(this, tcp_.generation());
  for (int fd : tcp_.clients()) {
    fds.push_back({fd, POLLIN, 0});
    owners.emplace_back(this, tcp_.generation());
  }
}

void ModbusEndpoint::on_ready(int fd, std::uint64_t generation, MonoTime) {
  if (generation != tcp_.generation() || !tcp_.listening()) return;
  if (fd == tcp_.listen_fd()) {
    if (tcp_.accept_one() >= 0) log(LogLevel::kDebug, "sim", "io endpoint connected", {{"endpoint", name_}});
    return;
  }
  if (std::find(tcp_.clients().begin(), tcp_.clients().end(), fd) == tcp_.clients().end()) return;
  serve(fd);
}

void ModbusEndpoint::serve(int fd) {
  std::array<std::uint8_t, MODBUS_TCP_MAX_ADU_LENGTH> req{};
  modbus_set_socket(ctx_, fd);
  const int n = modbus_receive(ctx_, req.data());
  if (n < 0) {
    tcp_.drop(fd);
    return;
  }
  if (n < 8) return;
  const int unit_id = req[6];
  auto it = std::find_if(units_.begin(), units_.end(), [&](const auto& u) { return u->config.unit == unit_id; });
  // No such unit here, or unplugged: silence, as a dead module behind a gateway.
  if (it == units_.end() || !(*it)->plugged) return;
  SimUnit& u = **it;
  const int function = req[7];
  const int address = (req[8] << 8) | req[9];
  const int index = address - u.config.coil_base;
  const bool was = u.coil(index);
  if (modbus_reply(ctx_, req.data(), n, u.map) < 0) {
    tcp_.drop(fd);
    return;
  }
  if (function == MODBUS_FC_WRITE_SINGLE_COIL && index >= 0 && index < u.coils && u.coil(index) != was) {
    log(LogLevel::kInfo, "sim", "coil written",
        {{"io", u.config.id}, {"coil", std::to_string(index)}, {"value", u.coil(index) ? "1" : "0"}});
  }
}

}  // namespace gatehouse::bridge
