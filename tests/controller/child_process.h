// Runs a program as a child process with its stderr captured, for tests that
// drive the real `gatehouse` binary. Bounded waits only.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::testing {

class ChildProcess {
 public:
  // env: variables to set (value) or unset (nullopt) in the child.
  ChildProcess(const std::vector<std::string>& argv,
               const std::map<std::string, std::optional<std::string>>& env = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int signo);
  // Exit status when it exits within `limit`; nullopt on timeout. -signo when killed.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  bool running();
  std::string output();  // everything written to stderr and stdout so far
  // Waits until `needle` appears in the output; false after `limit`.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds limit);

 private:
  void pump();
  int pid_ = -1;
  int fd_ = -1;
  std::optional<int> status_;
  std::mutex mutex_;
  std::string output_;
  std::thread reader_;
};

// GET http://host:port/target over loopback; {status, body}; status 0 when no answer.
struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};
HttpResult http_get(const std::string& host, int port, const std::string& target);
HttpResult http_post(const std::string& host, int port, const std::string& target,
                     const std::string& json_body);

// Runs build/bin/gatehouse with `args` to completion (bounded); {exit code, output}.
std::pair<int, std::string> run_gatehouse(
    const std::vector<std::string>& args,
    const std::map<std::string, std::optional<std::string>>& env);

// The "addr=HOST:PORT" the controller logs when it starts listening, or 0.
int listening_port(const std::string& log);

}  // namespace gatehouse::testing
