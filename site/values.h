// Internal to site/: checks on the scalar strings a site file holds (ids, day
// specs, intervals, dates, device endpoints, time zones). No TOML here, so each
// rule can be read and tested on its own. Each failure is an Error whose
// message says what is wrong and what is allowed, ready to show an operator.
//
// Thread safety: pure functions; check_timezone only reads the file system.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "site/site.h"

namespace gatehouse::site::detail {

inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

// Ids are operator-chosen names that end up in logs, URLs and the database,
// hence the narrow alphabet: [a-z0-9][a-z0-9._-]*, at most 64 characters.
Status check_id(std::string_view id);

// "mon".."sun" -> that day; "mon-fri" -> Monday..Friday; "all" -> every day;
// "holidays" -> kHolidayDay. Days are numbered as in site.h.
Result<std::vector<int>> parse_day_spec(std::string_view spec);
std::string_view day_name(int day);

// "07:00-19:30" -> [420, 1170). 24:00 is allowed as an end only.
Result<Interval> parse_interval(std::string_view text);
std::string format_interval(const Interval& interval);

// A real calendar date written "YYYY-MM-DD".
Status check_date(std::string_view text);

// A device line as the site file names it. For TCP, identity() is
// "tcp://host:port" with the host lowercased; for a serial line it is the
// device path, because every device on one RS-485 line shares it whatever
// the settings say.
struct Endpoint {
  bool serial = false;
  std::string host;
  int port = 0;
  std::string device;
  std::vector<std::pair<std::string, std::string>> params;  // sorted by name

  std::string identity() const;
  std::string settings() const;  // "baud=9600&parity=N": what must agree on one line
};

// "tcp://HOST:PORT" or "rtu://DEVICE?baud=N&parity=N|E|O&data=7|8&stop=1|2".
Result<Endpoint> parse_modbus_endpoint(std::string_view text);
// "tcp://HOST:PORT" or "serial://DEVICE?baud=N".
Result<Endpoint> parse_osdp_endpoint(std::string_view text);

// An IANA zone name with a compiled zone file under `zoneinfo_dir`.
Status check_timezone(std::string_view name, std::string_view zoneinfo_dir = kZoneinfoDir);

}  // namespace gatehouse::site::detail
