#include "firmware-bridge/sim_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "base/log.h"
#include "firmware-bridge/sim_script.h"

namespace gatehouse::bridge {
namespace {

constexpr std::size_t kMaxRequest = 8192;
constexpr int kRequestTimeoutMs = 2000;

std::string response(int code, std::string_view reason, std::string_view body) {
  std::string r = "HTTP/1.1 ";
  r += std::to_string(code);
  r += ' ';
  r += reason;
  r += "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ";
  r += std::to_string(body.size() + 1);
  r += "\r\n\r\n";
  r += body;
  r += '\n';
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// The Content-Length of a head; 0 when absent, -1 when malformed.
long content_length(std::string_view head) {
  const std::string h = lower(head);
  const std::size_t at = h.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  std::size_t i = at + 17;
  while (i < h.size() && h[i] == ' ') ++i;
  long n = 0;
  const auto [ptr, ec] = std::from_chars(h.data() + i, h.data() + h.size(), n);
  if (ec != std::errc{} || n < 0 || ptr == h.data() + i) return -1;
  return n;
}

}  // namespace

long request_complete(std::string_view buffered) {
  const std::size_t end = buffered.find("\r\n\r\n");
  if (end == std::string_view::npos) return buffered.size() > kMaxRequest ? -1 : 0;
  const long body = content_length(buffered.substr(0, end + 2));
  if (body < 0) return -1;
  const auto total = static_cast<long>(end + 4) + body;
  if (total > static_cast<long>(kMaxRequest)) return -1;
  return static_cast<long>(buffered.size()) >= total ? total : 0;
}

std::string handle_http_request(std::string_view request, const CommandHandler& handler) {
  const std::size_t line_end = request.find("\r\n");
  const std::size_t head_end = request.find("\r\n\r\n");
  if (line_end == std::string_view::npos || head_end == std::string_view::npos) {
    return response(400, "Bad Request", "error: malformed request");
  }
  const std::vector<std::string> first = split_words(request.substr(0, line_end));
  if (first.size() != 3) return response(400, "Bad Request", "error: malformed request line");
  if (first[1] != "/command") return response(404, "Not Found", "error: only POST /command exists");
  if (first[0] != "POST") return response(405, "Method Not Allowed", "error: use POST /command");
  std::string_view body = request.substr(head_end + 4);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.find('\n') != std::string_view::npos) {
    return response(400, "Bad Request", "error: one command per request");
  }
  const CommandResult r = handler(body);
  return r.ok ? response(200, "OK", r.text) : response(400, "Bad Request", r.text);
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(std::string_view host_port, CommandHandler handler) {
  std::string url = "tcp://";
  url += host_port;
  Result<TcpEndpoint> ep = parse_tcp_endpoint(url);
  if (!ep.ok()) return make_error(ErrorKind::kInvalidInput, "--control: expected HOST:PORT, e.g. 127.0.0.1:7070");
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->handler_ = std::move(handler);
  s->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(ep->port));
  ::inet_pton(AF_INET, ep->host.c_str(), &addr.sin_addr);
  if (::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s->listen_fd_, 8) != 0) {
    std::string m = "--control: cannot listen on ";
    m += host_port;
    m += ": ";
    m += std::strerror(errno);
    return make_error(ErrorKind::kIo, std::move(m));
  }
  socklen_t len = sizeof addr;
  ::getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->thread_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

ControlServer::~ControlServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void ControlServer::run() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void ControlServer::serve(int fd) {
  std::string buf;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  long total = 0;
  while ((total = request_complete(buf)) == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stop_.load()) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) <= 0) continue;
    char chunk[2048];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  const std::string out = total < 0 ? response(413, "Payload Too Large", "error: request too large or malformed")
                                    : handle_http_request(std::string_view(buf).substr(0, static_cast<std::size_t>(total)), handler_);
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace gatehouse::bridge
