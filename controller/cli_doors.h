// The door and alarm commands of `gatehouse`: door modes set by operators,
// door event history, and alarm acknowledgement.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gatehouse::controller {

// nullopt when args[1] is not one of these commands.
std::optional<int> run_door_command(const std::vector<std::string>& args, std::ostream& out,
                                    std::ostream& err);

extern const char* const kDoorUsage;

}  // namespace gatehouse::controller
