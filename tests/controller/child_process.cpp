#include "child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <regex>

namespace gatehouse::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::optional<std::string>>& env) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    for (const auto& [name, value] : env) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
  reader_ = std::thread([this] { pump(); });
}

ChildProcess::~ChildProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) close(fd_);
}

void ChildProcess::pump() {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return;
    std::lock_guard lock(mutex_);
    output_.append(buf, static_cast<std::size_t>(n));
  }
}

void ChildProcess::signal(int signo) {
  if (pid_ > 0) kill(pid_, signo);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

std::string ChildProcess::output() {
  std::lock_guard lock(mutex_);
  return output_;
}

bool ChildProcess::wait_for_output(const std::string& needle, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

namespace {

HttpResult http_request(const std::string& host, int port, boost::beast::http::verb verb,
                        const std::string& target, const std::string& body) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  HttpResult result;
  try {
    asio::io_context ioc;
    boost::beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host),
                                           static_cast<unsigned short>(port)));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    result.status = res.result_int();
    result.body = res.body();
    result.content_type = std::string(res[http::field::content_type]);
  } catch (const std::exception&) {
    result.status = 0;
  }
  return result;
}

}  // namespace

HttpResult http_get(const std::string& host, int port, const std::string& target) {
  return http_request(host, port, boost::beast::http::verb::get, target, "");
}

HttpResult http_post(const std::string& host, int port, const std::string& target,
                     const std::string& json_body) {
  return http_request(host, port, boost::beast::http::verb::post, target, json_body);
}

std::pair<int, std::string> run_gatehouse(
    const std::vector<std::string>& args,
    const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> argv{std::string(GATEHOUSE_BIN_DIR) + "/gatehouse"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv, env);
  auto code = child.wait_exit(std::chrono::seconds(120));
  return {code.value_or(-999), child.output()};
}

int listening_port(const std::string& log) {
  static const std::regex re(R"(msg=listening addr=[0-9.]+:([0-9]+))");
  std::smatch m;
  if (std::regex_search(log, m, re)) return std::atoi(m[1].str().c_str());
  return 0;
}

}  // namespace gatehouse::testing
