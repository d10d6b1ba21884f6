// `gatehouse-bridge gateway CONFIG`: serial devices presented over TCP
// (docs/firmware-bridge.md). Returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace gatehouse::bridge {

int run_gateway(const std::vector<std::string>& args);

}  // namespace gatehouse::bridge
