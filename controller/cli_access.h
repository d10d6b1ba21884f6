// The access-management commands of `gatehouse`: people, badges, visitors and
// lockdown. Every change names its operator (--operator, else the login name)
// and is recorded by the database layer.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gatehouse::controller {

// nullopt when args[1] is not one of these commands.
std::optional<int> run_access_command(const std::vector<std::string>& args, std::ostream& out,
                                      std::ostream& err);

extern const char* const kAccessUsage;

}  // namespace gatehouse::controller
