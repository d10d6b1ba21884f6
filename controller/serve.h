// `gatehouse serve`: the controller process.
#pragma once

#include <optional>
#include <string>

namespace gatehouse::controller {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::optional<std::string> var_dir;
  // POST /api/v1/readers/{reader}/present accepts badge reads over HTTP, as a
  // reader would send them: for the demo, the simulator and tests. Off by default.
  bool simulated_readers = false;
};

// Runs until SIGINT/SIGTERM; returns the process exit code.
int run_serve(const ServeOptions& options);

}  // namespace gatehouse::controller
