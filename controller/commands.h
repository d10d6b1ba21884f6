// The `gatehouse` command line. Each command is a function of its arguments
// and two output streams, returning the exit code, so tests call them directly.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gatehouse::controller {

int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gatehouse::controller
