// The simulator's network devices: virtual OSDP readers behind a TCP listener
// (as a serial-to-IP bridge presents an RS-485 line: several readers with
// different addresses may share one endpoint) and virtual Modbus TCP door
// modules (libmodbus's server side; several unit ids may share one endpoint).
//
// Each endpoint owns its listening socket and its connections. "Unplugged"
// devices stay silent; when every device of an endpoint is unplugged the
// endpoint closes its connections and stops listening, and listens again on
// the same port when one is plugged back.
//
// Thread safety: none; the Simulator calls everything under its one mutex.
// Every socket is closed by its owner; the generation number tells a poll
// result taken before a close/reopen from one taken after.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <poll.h>

#include "base/clock.h"
#include "base/result.h"
#include "firmware-bridge/sim_script.h"
#include "readers/osdp_pd.h"
#include "site/site.h"

struct _modbus;
struct _modbus_mapping_t;

namespace gatehouse::bridge {

class PollOwner {
 public:
  virtual ~PollOwner() = default;
  // Appends the descriptors to wait on, with this owner's generation.
  virtual void add_fds(std::vector<pollfd>& fds, std::vector<std::pair<PollOwner*, std::uint64_t>>& owners) = 0;
  // A descriptor from add_fds is ready; ignored when the generation moved on.
  virtual void on_ready(int fd, std::uint64_t generation, MonoTime now) = 0;
};

// A TCP listener and at most one connection (a newer connection replaces the
// older, as a serial-to-IP bridge does): the common part of both endpoints.
class TcpListener {
 public:
  explicit TcpListener(TcpEndpoint endpoint) : endpoint_(std::move(endpoint)) {}
  ~TcpListener() { close(); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  Status listen();  // binds endpoint (port 0 the first time: the kernel picks, kept after)
  Status adopt(int listen_fd);  // a socket someone else bound and listens on (libmodbus)
  void close();     // the listener and every connection
  // Unplugged: every connection closed, and new ones accepted and closed at
  // once, while the port stays bound to us (re-binding it on replug could fail
  // if anything took the port meanwhile). set_refusing(false): serve again.
  void set_refusing(bool refusing);
  bool refusing() const { return refusing_; }
  bool listening() const { return listen_fd_ >= 0; }
  int port() const { return endpoint_.port; }
  const TcpEndpoint& endpoint() const { return endpoint_; }
  std::uint64_t generation() const { return generation_; }
  int listen_fd() const { return listen_fd_; }
  std::vector<int>& clients() { return clients_; }
  int accept_one();  // accepts a pending connection; -1 if none
  void drop(int fd);

 private:
  TcpEndpoint endpoint_;
  int listen_fd_ = -1;
  std::vector<int> clients_;
  std::uint64_t generation_ = 0;
  bool refusing_ = false;
};

struct SimReader {
  site::Reader config;
  std::unique_ptr<readers::osdp::PeripheralDevice> pd;
  bool plugged = true;
};

// One OSDP endpoint: the readers on it hear every byte (each answers its own
// address); their replies go to the one connection.
class ReaderLine final : public PollOwner {
 public:
  ReaderLine(TcpEndpoint endpoint, std::string name) : tcp_(std::move(endpoint)), name_(std::move(name)) {}
  ~ReaderLine() override;
  SimReader& add(const site::Reader& reader, std::uint64_t seed);
  // Listens while any reader is plugged, closes when none is.
  Status update();
  void add_fds(std::vector<pollfd>& fds, std::vector<std::pair<PollOwner*, std::uint64_t>>& owners) override;
  void on_ready(int fd, std::uint64_t generation, MonoTime now) override;
  bool connected() const { return conn_ >= 0; }
  int port() const { return tcp_.port(); }
  bool listening() const { return tcp_.listening(); }
  const std::string& name() const { return name_; }

 private:
  void send(std::span<const std::uint8_t> bytes);
  TcpListener tcp_;
  std::string name_;
  int conn_ = -1;
  std::vector<std::unique_ptr<SimReader>> readers_;
};

struct SimUnit {
  site::IoModule config;
  int coils = 0;  // coils mapped from coil_base
  _modbus_mapping_t* map = nullptr;
  bool plugged = true;
  bool coil(int index) const;
  void set_input(int index, bool value);
};

// One Modbus TCP endpoint serving its units with modbus_reply.
class ModbusEndpoint final : public PollOwner {
 public:
  ModbusEndpoint(TcpEndpoint endpoint, std::string name) : tcp_(std::move(endpoint)), name_(std::move(name)) {}
  ~ModbusEndpoint() override;
  // `coils`: how many coils from coil_base the doors need.
  Result<SimUnit*> add(const site::IoModule& module, int coils);
  Status update();
  void add_fds(std::vector<pollfd>& fds, std::vector<std::pair<PollOwner*, std::uint64_t>>& owners) override;
  void on_ready(int fd, std::uint64_t generation, MonoTime now) override;
  int port() const { return tcp_.port(); }
  bool listening() const { return tcp_.listening(); }
  std::size_t connections() { return tcp_.clients().size(); }
  const std::string& name() const { return name_; }

 private:
  void serve(int fd);
  TcpListener tcp_;
  std::string name_;
  _modbus* ctx_ = nullptr;  // framing and replies only; its socket is set per request
  std::vector<std::unique_ptr<SimUnit>> units_;
};

}  // namespace gatehouse::bridge
