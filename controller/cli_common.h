// Helpers the `gatehouse` subcommands share: option parsing, the operator's
// name, opening the database the way serve does, and time arguments.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/database.h"
#include "db/pg.h"

namespace gatehouse::controller {

// "--name value" / "--name=value" options and positional arguments. Options
// listed in `flags` take no value. Unknown options are errors.
struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::string error;
};

Parsed parse_args(const std::vector<std::string>& args, std::size_t from,
                  const std::vector<std::string>& allowed,
                  const std::vector<std::string>& flags = {});
std::optional<std::string> option(const Parsed& p, const std::string& name);
bool flag(const Parsed& p, const std::string& name);

// --operator, else the login name (SUDO_USER, USER, LOGNAME, the uid's name).
std::string operator_name(const Parsed& p);

// An open, migrated connection plus the embedded cluster it may have started
// (stopped again when the session ends).
struct DbSession {
  std::optional<DatabaseLocation> location;
  std::optional<db::Connection> conn;
};
// Prints the reason to err and returns false on failure.
bool open_database(const Parsed& p, DbSession& session, std::ostream& err);

// The site's time zone, for reading and printing local times; UTC before a site exists.
std::string site_zone(db::Connection& conn);

// Prints the error's message; the exit code: 2 for bad input, 1 otherwise.
int fail(std::ostream& err, const Error& e);

// Parses an RFC 3339 time ("2026-03-03T09:15:00Z", "...+01:00") or a local
// time in the site's zone ("2026-03-03T09:15", "2026-03-03 09:15", "2026-03-03").
Result<WallTime> parse_time_arg(const std::string& text, const std::string& site_zone);
// "2026-03-03 09:15:02 GMT" in the site's zone, for people reading output.
std::string format_local(WallTime t, const std::string& site_zone);
// The next local midnight after `t` in the zone (the default end of a visit).
Result<WallTime> end_of_local_day(WallTime t, const std::string& site_zone);

}  // namespace gatehouse::controller
