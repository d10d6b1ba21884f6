// One upstream TCP connection at a time on a listening endpoint: what the
// OSDP relay and the Wiegand reader present to the controller. A new
// connection replaces the current one (a controller that restarted without
// closing its socket must not be locked out by its own half-open ghost).
//
// Thread safety: every member, and every callback, runs on the io_context's
// one thread. Lifetime: the owner stops that io_context (and joins its thread)
// before destroying this object; pending handlers capture `this` only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "firmware-bridge/gw_config.h"

namespace gatehouse::bridge {

struct TcpHandlers {
  std::function<void(const std::string& peer)> connected;
  std::function<void(std::span<const std::uint8_t>)> bytes;
  std::function<void(const std::string& why)> disconnected;
};

class TcpSingleClient {
 public:
  TcpSingleClient(boost::asio::io_context& ioc, std::string name, TcpHandlers handlers);

  // Binds and listens (address reuse on, so a restarted bridge gets its port back).
  Status listen(const Endpoint& endpoint);
  void start();  // starts accepting; call on (or before running) the io thread

  // Queues bytes for the current connection; dropped (and counted) with none
  // or when more than 64 KiB are queued.
  void send(std::span<const std::uint8_t> bytes);
  bool connected() const { return socket_.is_open(); }
  std::uint16_t port() const { return port_; }
  std::uint64_t connections() const { return connections_; }
  std::uint64_t bytes_dropped() const { return bytes_dropped_; }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void do_read(std::uint64_t generation);
  void do_write(std::uint64_t generation);
  void drop_connection(const std::string& why);

  std::string name_;
  TcpHandlers handlers_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::socket socket_;
  std::uint64_t generation_ = 0;  // which connection a handler belongs to
  std::uint16_t port_ = 0;
  std::vector<std::uint8_t> read_buf_ = std::vector<std::uint8_t>(2048);
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::uint64_t connections_ = 0;
  std::uint64_t bytes_dropped_ = 0;
};

}  // namespace gatehouse::bridge
