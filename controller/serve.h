// `gatehouse serve`: the controller process.
#pragma once

#include <optional>
#include <string>

namespace gatehouse::controller {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::optional<std::string> var_dir;
};

// Runs until SIGINT/SIGTERM; returns the process exit code.
int run_serve(const ServeOptions& options);

}  // namespace gatehouse::controller
