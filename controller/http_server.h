// The HTTP listener of the security desk API (Boost.Beast). Each connection is
// one HttpSession object that keeps itself alive with shared_from_this, runs on
// its own strand, puts a timeout on every read and write, and refuses requests
// over the size limits. Request handling is a plain function (HttpHandler), so
// it can be tested without sockets.
//
// Thread safety: construct and start on the reactor's thread; the handler runs on
// the connection's strand and must not block.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"

namespace gatehouse::controller {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, e.g. "/healthz"
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpLimits {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  int io_timeout_s = 15;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, HttpHandler handler, HttpLimits limits = {});

  // Binds and starts accepting. "127.0.0.1:8080"; port 0 picks a free port.
  Status listen(const std::string& address);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void stop();  // stops accepting; open sessions end at their next timeout or close

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const HttpHandler> handler_;
  HttpLimits limits_;
};

// Parses "HOST:PORT" into an endpoint; kInvalidInput with the reason.
Result<boost::asio::ip::tcp::endpoint> parse_listen_address(const std::string& address);

}  // namespace gatehouse::controller
