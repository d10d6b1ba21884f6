// First pass: the TOML tree to a Site, one entity at a time (see read.h).
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "site/read.h"
#include "site/values.h"

namespace gatehouse::site::detail {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 9> kTopKeys = {
    "site", "schedule", "area", "group", "access_level", "io_module", "reader", "camera", "door"};
constexpr std::array<std::string_view, 5> kSiteKeys = {
    "name", "timezone", "suspend_unused_badges_after_days", "pin_attempts", "pin_lockout_minutes"};
constexpr std::array<std::string_view, 4> kScheduleKeys = {"id", "name", "weekly", "holidays"};
constexpr std::array<std::string_view, 5> kAreaKeys = {"id", "name", "restricted_to",
                                                       "two_person", "anti_passback"};
constexpr std::array<std::string_view, 2> kGroupKeys = {"id", "name"};
constexpr std::array<std::string_view, 5> kAccessLevelKeys = {"id", "name", "groups", "doors",
                                                              "schedule"};
constexpr std::array<std::string_view, 10> kIoModuleKeys = {
    "id",         "name",    "modbus",    "unit",       "poll_ms",
    "timeout_ms", "retries", "coil_base", "input_base", "input_count"};
constexpr std::array<std::string_view, 6> kReaderKeys = {"id",      "name",           "osdp",
                                                         "address", "secure_channel", "keypad"};
constexpr std::array<std::string_view, 4> kCameraKeys = {"id", "name", "url", "retention_days"};
constexpr std::array<std::string_view, 14> kDoorKeys = {
    "id",   "name",        "from",           "to",                "reader",  "mode",
    "lock", "contact",     "exit_button",    "unlock_seconds",    "held_open_seconds",
    "cameras", "unlocked_during", "visitor_escort"};
constexpr std::array<std::string_view, 3> kLockKeys = {"io", "coil", "fail"};
constexpr std::array<std::string_view, 3> kInputKeys = {"io", "input", "normally"};

constexpr std::array<std::string_view, 3> kAntiPassbackNames = {"none", "soft", "hard"};
constexpr std::array<std::string_view, 2> kModeNames = {"card", "card-and-pin"};
constexpr std::array<std::string_view, 2> kFailNames = {"secure", "safe"};
constexpr std::array<std::string_view, 2> kPolarityNames = {"closed", "open"};

// Limits that stop a typo from becoming a door that never relocks or a bus
// polled to death; docs/site-file.md lists them for integrators.
constexpr int kMaxModbusUnit = 247;
constexpr int kMaxOsdpAddress = 126;  // 127 is the OSDP broadcast address
constexpr int kMaxPoint = 65535;      // Modbus coil and input addresses are 16 bits
constexpr int kMaxDoorSeconds = 3600;
constexpr int kMaxRetentionDays = 3650;
constexpr int kMaxSuspendUnusedDays = 3650;
constexpr int kMaxPinAttempts = 20;
constexpr int kMaxPinLockoutMinutes = 1440;

void report(FieldReader& f, std::string_view field, const Error& error) {
  f.problem(field, error.message);
}

bool earlier(Pos a, Pos b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); }

// A key that names another entity: required ones must be present, and none
// may be empty, since an empty reference means "none" in the model.
std::string reference(FieldReader& f, std::string_view key, bool required) {
  auto v = f.string(key, required);
  if (!v) return {};
  if (v->empty()) {
    f.problem(key, required ? "must name an id" : "must name an id; leave the key out for none");
  }
  return *v;
}

std::string date_text(const toml::date& d) {
  auto padded = [](unsigned value, std::size_t width) {
    std::string digits = std::to_string(value);
    return std::string(digits.size() < width ? width - digits.size() : 0, '0') + digits;
  };
  return padded(d.year, 4) + "-" + padded(d.month, 2) + "-" + padded(d.day, 2);
}

// One interval as written, remembered to explain overlaps.
struct Written {
  std::string spec;  // the weekly key it came from, e.g. "mon-fri"
  std::size_t index = 0;
  Interval interval;
  Pos pos;
};

void check_overlaps(FieldReader& f, std::map<int, std::vector<Written>>& by_day,
                    Schedule& schedule) {
  // A pair of written intervals that overlaps on five days is one mistake.
  std::set<std::tuple<std::string, std::size_t, std::string, std::size_t>> reported;
  for (auto& [day, entries] : by_day) {
    std::sort(entries.begin(), entries.end(), [](const Written& a, const Written& b) {
      return std::tie(a.interval.start_min, a.interval.end_min) <
             std::tie(b.interval.start_min, b.interval.end_min);
    });
    const Written* reach = nullptr;  // the entry so far that ends last
    for (const Written& e : entries) {
      if (reach != nullptr && e.interval.start_min < reach->interval.end_min) {
        const Written& later = earlier(reach->pos, e.pos) ? e : *reach;
        const Written& other = &later == &e ? *reach : e;
        auto id = std::make_tuple(other.spec, other.index, later.spec, later.index);
        if (reported.insert(id).second) {
          std::string message = "'" + format_interval(later.interval) + "' overlaps '" +
                                format_interval(other.interval) + "'";
          // Within one spec the overlap is on every day it covers; across two
          // specs, name the other and the day where they meet.
          if (other.spec != later.spec) {
            message += " from " + other.spec + " on " + std::string(day_name(day));
          }
          add_problem(f.out(), later.pos, f.key_path("weekly." + later.spec), message);
        }
      }
      if (reach == nullptr || e.interval.end_min > reach->interval.end_min) reach = &e;
      schedule.weekly[day].push_back(e.interval);
    }
  }
}

void read_weekly(FieldReader& f, const toml::table& weekly, Schedule& schedule) {
  std::map<int, std::vector<Written>> by_day;
  for (const auto& [key, node] : weekly) {
    std::string spec(key.str());
    std::string key_path = f.key_path("weekly." + spec);
    auto days = parse_day_spec(spec);
    if (!days.ok()) {
      add_problem(f.out(), pos_of(key), key_path, days.error().message);
      continue;
    }
    const toml::array* arr = node.as_array();
    if (arr == nullptr) {
      add_problem(f.out(), pos_of(node), key_path,
                  "expected an array of \"HH:MM-HH:MM\" strings, got " +
                      std::string(type_phrase(node.type())));
      continue;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      if (!el.is_string()) {
        add_problem(f.out(), pos_of(el), key_path,
                    "expected a \"HH:MM-HH:MM\" string, got " + std::string(type_phrase(el.type())));
        continue;
      }
      auto interval = parse_interval(el.as_string()->get());
      if (!interval.ok()) {
        add_problem(f.out(), pos_of(el), key_path, interval.error().message);
        continue;
      }
      for (int day : *days) by_day[day].push_back(Written{spec, i, *interval, pos_of(el)});
    }
  }
  check_overlaps(f, by_day, schedule);
}

void read_holidays(FieldReader& f, const toml::array& arr, Schedule& schedule) {
  std::map<std::string, int> first_line;
  for (const auto& el : arr) {
    std::string text;
    // A TOML date literal (2026-12-25) is as clear as the quoted form.
    if (el.is_string()) {
      text = el.as_string()->get();
    } else if (el.is_date()) {
      text = date_text(el.as_date()->get());
    } else {
      add_problem(f.out(), pos_of(el), f.key_path("holidays"),
                  "expected a \"YYYY-MM-DD\" string, got " + std::string(type_phrase(el.type())));
      continue;
    }
    if (auto st = check_date(text); !st.ok()) {
      add_problem(f.out(), pos_of(el), f.key_path("holidays"), st.error().message);
      continue;
    }
    auto [it, fresh] = first_line.emplace(text, pos_of(el).line);
    if (!fresh) {
      add_problem(f.out(), pos_of(el), f.key_path("holidays"),
                  "'" + text + "' is listed twice (first at line " + std::to_string(it->second) +
                      ")");
      continue;
    }
    schedule.holidays.push_back(text);
  }
  std::sort(schedule.holidays.begin(), schedule.holidays.end());
}

void read_schedule(FieldReader& f, Schedule& s) {
  if (const toml::table* weekly = f.table("weekly", true)) read_weekly(f, *weekly, s);
  if (const toml::array* holidays = f.array("holidays", false)) read_holidays(f, *holidays, s);
}

void read_area(FieldReader& f, Area& a) {
  if (auto v = f.string_list("restricted_to", false)) {
    // The model reads an empty list as "not restricted"; written out, it
    // more likely means "nobody", so make the operator say which.
    if (v->empty()) {
      f.problem("restricted_to",
                "is empty; list the groups allowed in, or leave the key out for an "
                  "unrestricted area");
    }
    a.restricted_to = std::move(*v);
  }
  if (auto v = f.boolean("two_person")) a.two_person = *v;
  if (auto v = f.choice("anti_passback", kAntiPassbackNames)) {
    a.anti_passback = static_cast<AntiPassback>(*v);
  }
}

void read_group(FieldReader&, Group&) {}

void read_access_level(FieldReader& f, AccessLevel& l) {
  if (auto v = f.string_list("groups", true)) l.groups = std::move(*v);
  if (auto v = f.string_list("doors", true)) l.doors = std::move(*v);
  l.schedule = reference(f, "schedule", true);
}

void read_io_module(FieldReader& f, IoModule& m) {
  if (auto v = f.string("modbus", true)) {
    m.modbus = *v;
    if (auto ep = parse_modbus_endpoint(*v); !ep.ok()) report(f, "modbus", ep.error());
  }
  if (auto v = f.integer("unit", false, 0, kMaxModbusUnit)) m.unit = *v;
  if (auto v = f.integer("poll_ms", false, 10, 10000)) m.poll_ms = *v;
  if (auto v = f.integer("timeout_ms", false, 10, 10000)) m.timeout_ms = *v;
  if (auto v = f.integer("retries", false, 0, 10)) m.retries = *v;
  if (auto v = f.integer("coil_base", false, 0, 65535)) m.coil_base = *v;
  if (auto v = f.integer("input_base", false, 0, 65535)) m.input_base = *v;
  // 2000: the most discrete inputs one Modbus read (FC 02) may ask for.
  if (auto v = f.integer("input_count", false, 1, 2000)) m.input_count = *v;
}

void read_reader(FieldReader& f, Reader& r) {
  if (auto v = f.string("osdp", true)) {
    r.osdp = *v;
    if (auto ep = parse_osdp_endpoint(*v); !ep.ok()) report(f, "osdp", ep.error());
  }
  // Required: two readers left at a default address on one line would both
  // answer every poll.
  if (auto v = f.integer("address", true, 0, kMaxOsdpAddress)) r.address = *v;
  if (auto v = f.boolean("secure_channel")) r.secure_channel = *v;
  if (auto v = f.boolean("keypad")) r.keypad = *v;
}

void read_camera(FieldReader& f, Camera& c) {
  if (auto v = f.string("url", true)) {
    c.url = *v;
    bool ok = (v->starts_with("rtsp://") && v->size() > 7) ||
              (v->starts_with("rtsps://") && v->size() > 8);
    if (!ok) {
      f.problem("url",
                "'" + *v + "' is not an RTSP URL; expected rtsp://HOST[:PORT]/PATH or rtsps://...");
    }
  }
  if (auto v = f.integer("retention_days", false, 1, kMaxRetentionDays)) c.retention_days = *v;
}

LockPoint read_lock(FieldReader& door, const toml::table& t) {
  FieldReader f = door.child(t, "lock", "door lock");
  f.reject_unknown(kLockKeys);
  LockPoint lock;
  lock.io = reference(f, "io", true);
  if (auto v = f.integer("coil", true, 0, kMaxPoint)) lock.coil = *v;
  if (auto v = f.choice("fail", kFailNames)) lock.fail = static_cast<FailMode>(*v);
  return lock;
}

InputPoint read_input(FieldReader& door, const toml::table& t, std::string_view name,
                      Polarity normally) {
  FieldReader f = door.child(t, name, "door " + std::string(name));
  f.reject_unknown(kInputKeys);
  InputPoint point;
  point.normally = normally;
  point.io = reference(f, "io", true);
  if (auto v = f.integer("input", true, 0, kMaxPoint)) point.input = *v;
  if (auto v = f.choice("normally", kPolarityNames)) point.normally = static_cast<Polarity>(*v);
  return point;
}

void read_door(FieldReader& f, Door& d) {
  d.from_area = reference(f, "from", true);
  d.to_area = reference(f, "to", true);
  if (!d.from_area.empty() && d.from_area == d.to_area) {
    f.problem("to",
              "a door joins two different areas; from and to are both '" + d.to_area + "'");
  }
  d.reader = reference(f, "reader", true);
  if (auto v = f.choice("mode", kModeNames)) d.mode = static_cast<DoorMode>(*v);
  if (const toml::table* t = f.table("lock", true)) d.lock = read_lock(f, *t);
  if (const toml::table* t = f.table("contact", false)) {
    d.contact = read_input(f, *t, "contact", Polarity::kNormallyClosed);
  }
  if (const toml::table* t = f.table("exit_button", false)) {
    d.exit_button = read_input(f, *t, "exit_button", Polarity::kNormallyOpen);
  }
  if (auto v = f.integer("unlock_seconds", false, 1, kMaxDoorSeconds)) d.unlock_seconds = *v;
  if (auto v = f.integer("held_open_seconds", false, 1, kMaxDoorSeconds)) {
    d.held_open_seconds = *v;
  }
  if (auto v = f.string_list("cameras", false)) d.cameras = std::move(*v);
  d.unlocked_during = reference(f, "unlocked_during", false);
  if (auto v = f.boolean("visitor_escort")) d.visitor_escort = *v;
}

// Reads every [[kind]] table with `read_one`, after the checks all entities
// share: unknown keys, the id, the optional name.
template <typename T, typename ReadOne>
void read_all(const toml::table& root, std::string_view kind, Keys keys,
              std::vector<Problem>& out, std::vector<T>& items, std::vector<EntityWhere>& wheres,
              ReadOne read_one) {
  const toml::node* node = root.get(kind);
  if (node == nullptr) return;
  const std::string header = "[[" + std::string(kind) + "]]";
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    std::string message = "expected an array of tables (" + header + "), got " +
                          std::string(type_phrase(node->type()));
    if (node->is_table()) message += "; write " + header + " rather than [" + std::string(kind) + "]";
    add_problem(out, pos_of(*node), std::string(kind), message);
    // [door] for [[door]] is a slip of one bracket: read the table as the one
    // entity it was meant to be, so its references do not fail as well.
    if (!node->is_table()) return;
  }
  const std::size_t count = arr != nullptr ? arr->size() : 1;
  for (std::size_t i = 0; i < count; ++i) {
    const toml::node& el = arr != nullptr ? *arr->get(i) : *node;
    std::string fallback = std::string(kind) + "[" + std::to_string(i + 1) + "]";
    const toml::table* table = el.as_table();
    if (table == nullptr) {
      add_problem(out, pos_of(el), fallback,
                  "expected a table, got " + std::string(type_phrase(el.type())));
      continue;
    }
    EntityWhere where;
    where.at = pos_of(*table);
    // Keys name the entity by its id when it has one, else by its place
    // ("door[3]": the third [[door]]), so that the operator can find it.
    const toml::node* id = table->get("id");
    bool named = id != nullptr && id->is_string() && !id->as_string()->get().empty();
    where.path = named ? std::string(kind) + "." + id->as_string()->get() : fallback;
    T item;
    {
      FieldReader f(*table, where.path, std::string(kind), out, where);
      f.reject_unknown(keys);
      if (auto v = f.string("id", true)) {
        item.id = *v;
        if (auto st = check_id(*v); !st.ok()) report(f, "id", st.error());
      }
      if (auto v = f.string("name", false)) item.name = *v;
      read_one(f, item);
    }
    items.push_back(std::move(item));
    wheres.push_back(std::move(where));
  }
}

void read_site_table(const toml::table& root, std::vector<Problem>& out, Site& site,
                     EntityWhere& where) {
  where.path = "site";
  const toml::node* node = root.get("site");
  if (node == nullptr) {
    add_problem(out, {}, "site", "missing [site] table (it gives the site's name and timezone)");
    return;
  }
  where.at = pos_of(*node);
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    add_problem(out, pos_of(*node), "site",
                "expected a table ([site]), got " + std::string(type_phrase(node->type())));
    return;
  }
  FieldReader f(*table, "site", "site", out, where);
  f.reject_unknown(kSiteKeys);
  if (auto v = f.string("name", true)) {
    site.name = *v;
    if (v->empty()) {
      f.problem("name", "must not be empty");
    }
  }
  if (auto v = f.string("timezone", true)) {
    site.timezone = *v;
    if (auto st = check_timezone(*v); !st.ok()) report(f, "timezone", st.error());
  }
  if (auto v = f.integer("suspend_unused_badges_after_days", false, 0, kMaxSuspendUnusedDays)) {
    site.suspend_unused_days = *v;
  }
  if (auto v = f.integer("pin_attempts", false, 1, kMaxPinAttempts)) site.pin_attempts = *v;
  if (auto v = f.integer("pin_lockout_minutes", false, 1, kMaxPinLockoutMinutes)) {
    site.pin_lockout_minutes = *v;
  }
}

}  // namespace

ReadResult read_site(const toml::table& root, std::vector<Problem>& out) {
  ReadResult r;
  for (const auto& [key, node] : root) {
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key.str()) != kTopKeys.end()) continue;
    add_problem(out, pos_of(key), std::string(key.str()),
                "unknown key '" + std::string(key.str()) +
                    "' at top level; known tables: [site], [[schedule]], [[area]], [[group]], "
                    "[[access_level]], [[io_module]], [[reader]], [[camera]], [[door]]");
  }
  read_site_table(root, out, r.site, r.where.site);
  Site& s = r.site;
  SiteWhere& w = r.where;
  read_all(root, "schedule", kScheduleKeys, out, s.schedules, w.schedules, read_schedule);
  read_all(root, "area", kAreaKeys, out, s.areas, w.areas, read_area);
  read_all(root, "group", kGroupKeys, out, s.groups, w.groups, read_group);
  read_all(root, "access_level", kAccessLevelKeys, out, s.access_levels, w.access_levels,
           read_access_level);
  read_all(root, "io_module", kIoModuleKeys, out, s.io_modules, w.io_modules, read_io_module);
  read_all(root, "reader", kReaderKeys, out, s.readers, w.readers, read_reader);
  read_all(root, "camera", kCameraKeys, out, s.cameras, w.cameras, read_camera);
  read_all(root, "door", kDoorKeys, out, s.doors, w.doors, read_door);
  return r;
}

}  // namespace gatehouse::site::detail
