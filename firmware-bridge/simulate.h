// `gatehouse-bridge simulate SITEFILE [options]`: virtual door hardware for a
// site (docs/simulator.md). Returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace gatehouse::bridge {

int run_simulate(const std::vector<std::string>& args);

}  // namespace gatehouse::bridge
