#include "site/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <system_error>

namespace gatehouse::site::detail {
namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};
constexpr std::array<std::string_view, 5> kBauds = {"9600", "19200", "38400", "57600",
                                                    "115200"};

Error invalid(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += '\'';
  return out;
}

int day_index(std::string_view name) {
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if (kDayNames[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses exactly `text.size()` decimal digits; no sign, no spaces.
bool parse_digits(std::string_view text, int& value) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string join(const auto& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

Result<int> parse_time_of_day(std::string_view text) {
  int hours = 0;
  int minutes = 0;
  if (text.size() != 5 || text[2] != ':' || !parse_digits(text.substr(0, 2), hours) ||
      !parse_digits(text.substr(3, 2), minutes)) {
    return invalid(quoted(text) + " is not a time; expected HH:MM");
  }
  if (hours > 24 || minutes > 59 || (hours == 24 && minutes != 0)) {
    return invalid(quoted(text) + " is not a time of day; allowed 00:00 to 24:00");
  }
  return hours * 60 + minutes;
}

// One allowed query parameter of a serial endpoint and its allowed values.
struct ParamRule {
  std::string_view name;
  std::vector<std::string_view> allowed;
};

Status parse_host_port(std::string_view rest, Endpoint& ep) {
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    // IPv6 literal: [::1]:4001
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return invalid("an IPv6 host is written [ADDRESS]:PORT");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
                 c == '.';
        })) {
      return invalid("host " + quoted(host) + " is not an IPv6 address");
    }
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return invalid("the port is missing");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.empty()) return invalid("the host is missing");
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
                 c == '-';
        })) {
      return invalid("host " + quoted(host) + " is not a host name or IPv4 address");
    }
  }
  int port_number = 0;
  if (port.size() > 5 || !parse_digits(port, port_number) || port_number < 1 ||
      port_number > 65535) {
    return invalid("port " + quoted(port) + " is not a number from 1 to 65535");
  }
  ep.host = std::string(host);
  std::transform(ep.host.begin(), ep.host.end(), ep.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  ep.port = port_number;
  return {};
}

Status parse_serial(std::string_view rest, const std::vector<ParamRule>& rules, Endpoint& ep) {
  auto q = rest.find('?');
  std::string_view device = rest.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  if (device.size() < 2 || device.front() != '/') {
    return invalid("the device must be an absolute path such as /dev/ttyUSB0");
  }
  ep.serial = true;
  ep.device = std::string(device);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return invalid(quoted(pair) + " is not NAME=VALUE");
    std::string_view name = pair.substr(0, eq);
    std::string_view value = pair.substr(eq + 1);
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const ParamRule& r) { return r.name == name; });
    if (rule == rules.end()) {
      std::vector<std::string_view> names;
      for (const auto& r : rules) names.push_back(r.name);
      return invalid("unknown setting " + quoted(name) + "; allowed: " + join(names, ", "));
    }
    if (std::find(rule->allowed.begin(), rule->allowed.end(), value) == rule->allowed.end()) {
      return invalid(std::string(name) + " " + quoted(value) +
                     " is not allowed; allowed: " + join(rule->allowed, ", "));
    }
    for (const auto& [have, _] : ep.params) {
      if (have == name) return invalid(std::string(name) + " is given twice");
    }
    ep.params.emplace_back(std::string(name), std::string(value));
  }
  // Every setting is required: a serial line whose framing is guessed fails
  // in the field as garbled frames rather than as a clear error here.
  for (const auto& r : rules) {
    bool found = std::any_of(ep.params.begin(), ep.params.end(),
                             [&](const auto& p) { return p.first == r.name; });
    if (!found) return invalid("the " + std::string(r.name) + " setting is missing");
  }
  std::sort(ep.params.begin(), ep.params.end());
  return {};
}

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view serial_scheme,
                                const std::vector<ParamRule>& rules, std::string_view expected) {
  Endpoint ep;
  constexpr std::string_view kTcp = "tcp://";
  std::string serial_prefix = std::string(serial_scheme) + "://";
  Status st;
  if (text.starts_with(kTcp)) {
    st = parse_host_port(text.substr(kTcp.size()), ep);
  } else if (text.starts_with(serial_prefix)) {
    st = parse_serial(text.substr(serial_prefix.size()), rules, ep);
  } else {
    st = invalid("unknown scheme");
  }
  if (!st.ok()) {
    return invalid(quoted(text) + ": " + st.error().message + "; expected " +
                   std::string(expected));
  }
  return ep;
}

}  // namespace

Status check_id(std::string_view id) {
  if (id.empty()) return invalid("an id must not be empty");
  if (id.size() > kMaxIdLength) {
    return invalid("id " + quoted(id) + " is longer than " + std::to_string(kMaxIdLength) +
                   " characters");
  }
  auto plain = [](char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); };
  bool ok = plain(id.front()) && std::all_of(id.begin(), id.end(), [&](char c) {
              return plain(c) || c == '.' || c == '_' || c == '-';
            });
  if (!ok) {
    return invalid("id " + quoted(id) +
                   " is not allowed; use lowercase letters, digits, '.', '_' and '-', "
                   "starting with a letter or digit");
  }
  return {};
}

std::string_view day_name(int day) {
  if (day == kHolidayDay) return "holidays";
  if (day < 0 || day >= static_cast<int>(kDayNames.size())) return "?";
  return kDayNames[static_cast<std::size_t>(day)];
}

Result<std::vector<int>> parse_day_spec(std::string_view spec) {
  std::vector<int> days;
  if (spec == "holidays") return std::vector<int>{kHolidayDay};
  if (spec == "all") {
    for (int d = 0; d < 7; ++d) days.push_back(d);
    return days;
  }
  if (int d = day_index(spec); d >= 0) return std::vector<int>{d};
  auto dash = spec.find('-');
  if (dash != std::string_view::npos) {
    int first = day_index(spec.substr(0, dash));
    int last = day_index(spec.substr(dash + 1));
    if (first >= 0 && last >= 0) {
      // Ranges run forwards in ISO order so that "fri-mon" cannot be misread
      // as Friday alone or as the whole week.
      if (first >= last) {
        return invalid("day range " + quoted(spec) +
                       " must run forwards from Monday to Sunday, e.g. mon-fri or sat-sun");
      }
      for (int d = first; d <= last; ++d) days.push_back(d);
      return days;
    }
  }
  return invalid("unknown day " + quoted(spec) +
                 "; allowed: mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, "
                 "all, holidays");
}

Result<Interval> parse_interval(std::string_view text) {
  constexpr std::string_view kShape = "; expected \"HH:MM-HH:MM\" such as \"07:00-19:30\"";
  if (text.size() != 11 || text[5] != '-') {
    return invalid(quoted(text) + " is not an interval" + std::string(kShape));
  }
  auto start = parse_time_of_day(text.substr(0, 5));
  if (!start.ok()) return invalid("interval " + quoted(text) + ": " + start.error().message);
  auto end = parse_time_of_day(text.substr(6, 5));
  if (!end.ok()) return invalid("interval " + quoted(text) + ": " + end.error().message);
  if (*end <= *start) {
    return invalid("interval " + quoted(text) +
                   " must end after it starts (an interval cannot cross midnight: split it "
                   "across two days)");
  }
  return Interval{*start, *end};
}

std::string format_interval(const Interval& interval) {
  auto hhmm = [](int minutes) {
    std::string out;
    out += static_cast<char>('0' + minutes / 600);
    out += static_cast<char>('0' + minutes / 60 % 10);
    out += ':';
    out += static_cast<char>('0' + minutes % 60 / 10);
    out += static_cast<char>('0' + minutes % 10);
    return out;
  };
  return hhmm(interval.start_min) + "-" + hhmm(interval.end_min);
}

Status check_date(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !parse_digits(text.substr(0, 4), year) || !parse_digits(text.substr(5, 2), month) ||
      !parse_digits(text.substr(8, 2), day)) {
    return invalid(quoted(text) + " is not a date; expected \"YYYY-MM-DD\" such as \"2026-12-25\"");
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days_in_month =
      month >= 1 && month <= 12 ? kDays[static_cast<std::size_t>(month - 1)] : 0;
  if (month == 2 && leap) days_in_month = 29;
  if (year < 1 || day < 1 || day > days_in_month) {
    return invalid(quoted(text) + " is not a real calendar date");
  }
  return {};
}

std::string Endpoint::identity() const {
  if (serial) return device;
  std::string out = "tcp://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string Endpoint::settings() const {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

Result<Endpoint> parse_modbus_endpoint(std::string_view text) {
  static const std::vector<ParamRule> kRules = {
      {"baud", {kBauds.begin(), kBauds.end()}},
      {"parity", {"N", "E", "O"}},
      {"data", {"7", "8"}},
      {"stop", {"1", "2"}},
  };
  return parse_endpoint(text, "rtu", kRules,
                        "\"tcp://HOST:PORT\" or "
                        "\"rtu://DEVICE?baud=N&parity=N|E|O&data=7|8&stop=1|2\"");
}

Result<Endpoint> parse_osdp_endpoint(std::string_view text) {
  static const std::vector<ParamRule> kRules = {{"baud", {kBauds.begin(), kBauds.end()}}};
  return parse_endpoint(text, "serial", kRules,
                        "\"tcp://HOST:PORT\" or \"serial://DEVICE?baud=N\"");
}

Status check_timezone(std::string_view name, std::string_view zoneinfo_dir) {
  auto unknown = [&](std::string_view why) {
    return invalid("unknown time zone " + quoted(name) + " (" + std::string(why) +
                   "); expected an IANA name such as \"Europe/London\"");
  };
  // The name becomes a path: refuse anything that could leave the zone
  // directory or name something other than a zone file below it.
  if (name.empty()) return unknown("empty");
  bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' ||
           c == '_' || c == '-' || c == '+' || c == '.';
  });
  if (!plain || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return unknown("not a zone name");
  }
  std::string path = std::string(zoneinfo_dir) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  // Reading the TZif magic also rejects directories ("Europe") and the
  // tables that tzdata ships beside the zones ("zone.tab").
  if (!in.is_open() || !in.read(magic, sizeof magic) ||
      std::string_view(magic, sizeof magic) != "TZif") {
    return unknown("no zone file " + path);
  }
  return {};
}

}  // namespace gatehouse::site::detail
