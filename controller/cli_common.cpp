#include "controller/cli_common.h"

#include <date/date.h>
#include <date/tz.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "db/migrate.h"

namespace gatehouse::controller {

Parsed parse_args(const std::vector<std::string>& args, std::size_t from,
                  const std::vector<std::string>& allowed, const std::vector<std::string>& flags) {
  Parsed p;
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      p.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    bool is_flag = std::find(flags.begin(), flags.end(), name) != flags.end();
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (is_flag) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      p.error = "option --" + name + " needs a value";
      return p;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end() && !is_flag) {
      p.error = "unknown option --" + name;
      return p;
    }
    p.options[name] = value;
  }
  return p;
}

std::optional<std::string> option(const Parsed& p, const std::string& name) {
  auto it = p.options.find(name);
  if (it == p.options.end()) return std::nullopt;
  return it->second;
}

bool flag(const Parsed& p, const std::string& name) { return p.options.count(name) != 0; }

std::string operator_name(const Parsed& p) {
  if (auto op = option(p, "operator"); op && !op->empty()) return *op;
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr) return pw->pw_name;
  return "uid:" + std::to_string(getuid());
}

bool open_database(const Parsed& p, DbSession& session, std::ostream& err) {
  auto resolved = DatabaseLocation::resolve(resolve_var_dir(option(p, "var")));
  if (!resolved.ok()) {
    err << "database: " << resolved.error().message << "\n";
    return false;
  }
  session.location.emplace(std::move(resolved).value());
  auto conn = db::Connection::open(session.location->conninfo());
  if (!conn.ok()) {
    err << "database: " << conn.error().message << "\n";
    return false;
  }
  auto version = db::migrate(*conn);
  if (!version.ok()) {
    err << "database: " << version.error().message << "\n";
    return false;
  }
  session.conn.emplace(std::move(conn).value());
  return true;
}

std::string site_zone(db::Connection& conn) {
  auto r = conn.exec("SELECT timezone FROM site");
  if (r.ok() && r->size() == 1) return std::string(r->text(0, 0));
  return "UTC";
}

int fail(std::ostream& err, const Error& e) {
  err << e.message << "\n";
  return e.kind == ErrorKind::kInvalidInput ? 2 : 1;
}

Result<WallTime> parse_time_arg(const std::string& text, const std::string& site_zone) {
  using namespace std::chrono;
  auto to_wall = [](sys_time<microseconds> t) { return WallTime{t.time_since_epoch().count()}; };
  std::string normalized = text;
  if (normalized.size() > 10 && normalized[10] == ' ') normalized[10] = 'T';
  // With an offset or Z: an absolute time.
  for (const char* fmt : {"%FT%TZ", "%FT%T%Ez", "%FT%RZ", "%FT%R%Ez"}) {
    std::istringstream in(normalized);
    date::sys_time<microseconds> t;
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == EOF) return to_wall(t);
  }
  // Without: local time in the site's zone.
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(site_zone);
  } catch (const std::exception&) {
    return make_error(ErrorKind::kInvalidInput, "unknown time zone '" + site_zone + "'");
  }
  for (const char* fmt : {"%FT%T", "%FT%R", "%F"}) {
    std::istringstream in(normalized);
    date::local_time<microseconds> lt;
    in >> date::parse(fmt, lt);
    if (in.fail() || in.peek() != EOF) continue;
    try {
      // A time in the hour skipped by DST does not exist; an ambiguous one takes the earlier.
      return to_wall(date::zoned_time<microseconds>(zone, lt, date::choose::earliest).get_sys_time());
    } catch (const std::exception& e) {
      return make_error(ErrorKind::kInvalidInput,
                        "'" + text + "' does not exist in " + site_zone + ": " + e.what());
    }
  }
  return make_error(ErrorKind::kInvalidInput,
                    "'" + text + "' is not a time (use 2026-03-03T09:15:00Z, 2026-03-03T09:15 in "
                    "site time, or 2026-03-03)");
}

std::string format_local(WallTime t, const std::string& site_zone) {
  using namespace std::chrono;
  try {
    date::sys_time<seconds> s{seconds{t.us / 1'000'000}};
    return date::format("%F %T %Z", date::zoned_time<seconds>(site_zone, s));
  } catch (const std::exception&) {
    return format_utc(t);
  }
}

Result<WallTime> end_of_local_day(WallTime t, const std::string& site_zone) {
  using namespace std::chrono;
  try {
    const date::time_zone* zone = date::locate_zone(site_zone);
    date::sys_time<microseconds> now{microseconds{t.us}};
    auto local = zone->to_local(now);
    auto next_midnight = date::floor<date::days>(local) + date::days{1};
    auto end = zone->to_sys(date::local_time<microseconds>(next_midnight), date::choose::earliest);
    return WallTime{end.time_since_epoch().count()};
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInvalidInput, std::string("time zone: ") + e.what());
  }
}

}  // namespace gatehouse::controller
