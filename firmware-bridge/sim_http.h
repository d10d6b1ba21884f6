// The simulator's HTTP control port: POST /command with one command line as
// the body answers the command's text (200, or 400 when the command failed).
// A tiny blocking server on its own thread, one connection at a time, bounded
// (8 KiB requests, 2 s to send one): it is a developer's tool on loopback,
// not a public service.
//
// Thread safety: start/stop from one thread; the handler runs on the server's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"
#include "firmware-bridge/sim_simulator.h"

namespace gatehouse::bridge {

using CommandHandler = std::function<CommandResult(std::string_view line)>;

// The whole request (head and body) -> the whole response. A plain function:
// testable without sockets. Needs the complete request (see request_complete).
std::string handle_http_request(std::string_view request, const CommandHandler& handler);
// 0: need more bytes; >0: the request's full length; -1: malformed or too big.
long request_complete(std::string_view buffered);

class ControlServer {
 public:
  // "HOST:PORT" (IPv4; port 0: the kernel picks).
  static Result<std::unique_ptr<ControlServer>> start(std::string_view host_port, CommandHandler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  int port() const { return port_; }

 private:
  ControlServer() = default;
  void run();
  void serve(int fd);
  int listen_fd_ = -1;
  int port_ = 0;
  CommandHandler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gatehouse::bridge
