#include "controller/http_server.h"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <optional>

#include "base/log.h"

namespace gatehouse::controller {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const HttpHandler> handler, HttpLimits limits)
      : stream_(std::move(socket)), handler_(std::move(handler)), limits_(limits) {}

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser_->body_limit(limits_.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(limits_.io_timeout_s));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      HttpResponse too_large{413, "application/json", R"({"error":"request too large"})"};
      return do_write(too_large, false, 11);
    }
    if (ec) return;  // timeout, reset or garbage: drop the connection

    const auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.body = req.body();
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    HttpResponse response = (*handler_)(request);
    do_write(response, req.keep_alive(), req.version());
  }

  void do_write(const HttpResponse& response, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    res->set(http::field::server, "gatehouse");
    res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(keep_alive);
    res->body() = response.body;
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(limits_.io_timeout_s));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->on_write(ec, res->keep_alive());
                      });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec) return;
    if (!keep_alive) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpHandler> handler_;
  HttpLimits limits_;
};

}  // namespace

Result<tcp::endpoint> parse_listen_address(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return make_error(ErrorKind::kInvalidInput,
                      "listen address '" + address + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = address.substr(colon + 1);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      return make_error(ErrorKind::kInvalidInput, "listen port '" + port_text + "' is not a number 0..65535");
    }
    port = port * 10 + (c - '0');
  }
  if (port > 65535) {
    return make_error(ErrorKind::kInvalidInput, "listen port '" + port_text + "' is not a number 0..65535");
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) {
    return make_error(ErrorKind::kInvalidInput,
                      "listen host '" + host + "' is not an IP address: " + ec.message());
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

HttpServer::HttpServer(asio::io_context& ioc, HttpHandler handler, HttpLimits limits)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      handler_(std::make_shared<const HttpHandler>(std::move(handler))),
      limits_(limits) {}

Status HttpServer::listen(const std::string& address) {
  auto endpoint = parse_listen_address(address);
  if (!endpoint.ok()) return endpoint.error();
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorKind::kUnavailable, "cannot listen on " + address + ": " + ec.message());
  }
  do_accept();
  return {};
}

tcp::endpoint HttpServer::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void HttpServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void HttpServer::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         beast::bind_front_handler(&HttpServer::on_accept, this));
}

void HttpServer::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    log(LogLevel::kWarn, "http", "accept failed", {{"error", ec.message()}});
  } else {
    std::make_shared<HttpSession>(std::move(socket), handler_, limits_)->start();
  }
  do_accept();
}

}  // namespace gatehouse::controller
