#include "firmware-bridge/gw_tcp.h"

#include <boost/asio/write.hpp>

#include "base/log.h"

namespace gatehouse::bridge {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxQueuedBytes = 64 * 1024;
}

TcpSingleClient::TcpSingleClient(asio::io_context& ioc, std::string name, TcpHandlers handlers)
    : name_(std::move(name)), handlers_(std::move(handlers)), acceptor_(ioc), socket_(ioc) {}

Status TcpSingleClient::listen(const Endpoint& endpoint) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    tcp::resolver resolver(acceptor_.get_executor());
    auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec || results.empty()) {
      return make_error(ErrorKind::kInvalidInput, "cannot resolve " + endpoint.host + ": " + ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(address, endpoint.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return make_error(ErrorKind::kIo, "cannot listen on " + endpoint.host + ":" +
                                          std::to_string(endpoint.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  return {};
}

void TcpSingleClient::start() { do_accept(); }

void TcpSingleClient::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void TcpSingleClient::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) {
    log(LogLevel::kWarn, "bridge", "accept failed", {{"gateway", name_}, {"error", ec.message()}});
    do_accept();
    return;
  }
  boost::system::error_code ignored;
  std::string peer;
  auto remote = socket.remote_endpoint(ignored);
  if (!ignored) peer = remote.address().to_string() + ":" + std::to_string(remote.port());
  if (socket_.is_open()) drop_connection("replaced by a new connection from " + peer);
  socket_ = std::move(socket);
  socket_.set_option(tcp::no_delay(true), ignored);
  ++generation_;
  ++connections_;
  log(LogLevel::kInfo, "bridge", "controller connected",
      {{"gateway", name_}, {"peer", peer}, {"reconnects", std::to_string(connections_ - 1)}});
  if (handlers_.connected) handlers_.connected(peer);
  do_read(generation_);
  do_accept();
}

void TcpSingleClient::do_read(std::uint64_t generation) {
  socket_.async_read_some(asio::buffer(read_buf_), [this, generation](boost::system::error_code ec, std::size_t n) {
    if (generation != generation_) return;  // a connection since replaced
    if (ec) {
      if (ec != asio::error::operation_aborted) drop_connection(ec.message());
      return;
    }
    if (handlers_.bytes) handlers_.bytes(std::span<const std::uint8_t>(read_buf_.data(), n));
    if (generation == generation_ && socket_.is_open()) do_read(generation);
  });
}

void TcpSingleClient::send(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (!socket_.is_open() || queued_bytes_ + bytes.size() > kMaxQueuedBytes) {
    bytes_dropped_ += bytes.size();
    return;
  }
  queue_.emplace_back(bytes.begin(), bytes.end());
  queued_bytes_ += bytes.size();
  if (!writing_) do_write(generation_);
}

void TcpSingleClient::do_write(std::uint64_t generation) {
  writing_ = true;
  asio::async_write(socket_, asio::buffer(queue_.front()),
                    [this, generation](boost::system::error_code ec, std::size_t) {
                      if (generation != generation_) return;  // queue already cleared
                      writing_ = false;
                      if (ec) {
                        if (ec != asio::error::operation_aborted) drop_connection("write: " + ec.message());
                        return;
                      }
                      queued_bytes_ -= queue_.front().size();
                      queue_.pop_front();
                      if (!queue_.empty()) do_write(generation);
                    });
}

void TcpSingleClient::drop_connection(const std::string& why) {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  ++generation_;  // handlers of this connection still pending now do nothing
  queue_.clear();
  queued_bytes_ = 0;
  writing_ = false;
  log(LogLevel::kInfo, "bridge", "controller disconnected", {{"gateway", name_}, {"reason", why}});
  if (handlers_.disconnected) handlers_.disconnected(why);
}

}  // namespace gatehouse::bridge
