// Second pass: the rules that need more than one entity (see read.h).
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "site/read.h"
#include "site/values.h"

namespace gatehouse::site::detail {
namespace {

// Id -> index of its first entity; later duplicates were reported.
using IdIndex = std::map<std::string, std::size_t, std::less<>>;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string line_text(Pos pos) { return "line " + std::to_string(pos.line); }

// The names an operator reads in messages, and the TOML table of each kind.
struct Kind {
  std::string_view word;   // "io module"
  std::string_view table;  // "io_module"
};
constexpr Kind kScheduleKind{"schedule", "schedule"};
constexpr Kind kAreaKind{"area", "area"};
constexpr Kind kGroupKind{"group", "group"};
constexpr Kind kAccessLevelKind{"access level", "access_level"};
constexpr Kind kIoModuleKind{"io module", "io_module"};
constexpr Kind kReaderKind{"reader", "reader"};
constexpr Kind kCameraKind{"camera", "camera"};
constexpr Kind kDoorKind{"door", "door"};

// "unknown reader 'r-mian-in'; did you mean 'r-main-in'?" A near miss is
// named alone; otherwise the defined ids are listed, up to a few.
std::string unknown_message(Kind kind, std::string_view id, const IdIndex& known) {
  constexpr std::size_t kListed = 10;
  std::string message = "unknown " + std::string(kind.word) + " '" + std::string(id) + "'";
  if (known.empty()) return message + "; no [[" + std::string(kind.table) + "]] is defined";
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& [candidate, _] : known) {
    std::size_t d = edit_distance(id, candidate);
    if (best == nullptr || d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  if (best_distance <= std::max<std::size_t>(1, id.size() / 4)) {
    return message + "; did you mean '" + *best + "'?";
  }
  message += "; defined " + std::string(kind.word) + "s: ";
  std::size_t n = 0;
  for (const auto& [candidate, _] : known) {
    if (n == kListed) {
      message += ", ...";
      break;
    }
    message += (n++ == 0 ? "" : ", ") + candidate;
  }
  return message;
}

class Validator {
 public:
  Validator(const Site& site, const SiteWhere& where, std::vector<Problem>& out)
      : site_(site), where_(where), out_(out) {}

  void run() {
    schedules_ = index_ids(site_.schedules, where_.schedules, kScheduleKind);
    areas_ = index_ids(site_.areas, where_.areas, kAreaKind);
    groups_ = index_ids(site_.groups, where_.groups, kGroupKind);
    index_ids(site_.access_levels, where_.access_levels, kAccessLevelKind);
    io_modules_ = index_ids(site_.io_modules, where_.io_modules, kIoModuleKind);
    readers_ = index_ids(site_.readers, where_.readers, kReaderKind);
    cameras_ = index_ids(site_.cameras, where_.cameras, kCameraKind);
    doors_ = index_ids(site_.doors, where_.doors, kDoorKind);
    check_areas();
    check_access_levels();
    check_doors();
    check_device_lines();
  }

 private:
  template <typename T>
  IdIndex index_ids(const std::vector<T>& items, const std::vector<EntityWhere>& wheres,
                    Kind kind) {
    IdIndex index;
    for (std::size_t i = 0; i < items.size(); ++i) {
      // A missing id was reported by the first pass. A malformed one was too,
      // but is still indexed so that references to it are not reported again.
      if (items[i].id.empty()) continue;
      auto [it, fresh] = index.emplace(items[i].id, i);
      if (!fresh) {
        add_problem(out_, wheres[i].field("id"), wheres[i].path,
                    "duplicate " + std::string(kind.word) + " id '" + items[i].id +
                        "'; first defined at " + line_text(wheres[it->second].field("id")));
      }
    }
    return index;
  }

  // Reports `id` when no entity of `kind` has it. Empty or bad values were
  // reported by the first pass and are not judged again.
  const std::size_t* resolve(const IdIndex& index, Kind kind, const std::string& id,
                             const EntityWhere& where, const std::string& field) {
    if (id.empty() || !where.valid(field)) return nullptr;
    auto it = index.find(id);
    if (it != index.end()) return &it->second;
    std::string key = field;
    if (auto bracket = key.find('['); bracket != std::string::npos) key.resize(bracket);
    add_problem(out_, where.field(field), where.path + "." + key,
                unknown_message(kind, id, index));
    return nullptr;
  }

  void check_areas() {
    for (std::size_t i = 0; i < site_.areas.size(); ++i) {
      const Area& a = site_.areas[i];
      for (std::size_t g = 0; g < a.restricted_to.size(); ++g) {
        const std::string field = "restricted_to[" + std::to_string(g) + "]";
        if (a.restricted_to[g] == kVisitorsGroup) {
          add_problem(out_, where_.areas[i].field(field), where_.areas[i].path + ".restricted_to",
                      "group 'visitors' cannot be allowed into a restricted area: visitors never "
                      "enter one");
          continue;
        }
        resolve(groups_, kGroupKind, a.restricted_to[g], where_.areas[i], field);
      }
    }
  }

  void check_access_levels() {
    for (std::size_t i = 0; i < site_.access_levels.size(); ++i) {
      const AccessLevel& l = site_.access_levels[i];
      const EntityWhere& w = where_.access_levels[i];
      for (std::size_t g = 0; g < l.groups.size(); ++g) {
        resolve(groups_, kGroupKind, l.groups[g], w, "groups[" + std::to_string(g) + "]");
      }
      for (std::size_t d = 0; d < l.doors.size(); ++d) {
        const std::size_t* door =
            resolve(doors_, kDoorKind, l.doors[d], w, "doors[" + std::to_string(d) + "]");
        if (door != nullptr) check_restricted(l, w, site_.doors[*door]);
      }
      resolve(schedules_, kScheduleKind, l.schedule, w, "schedule");
    }
  }

  // The restricted-area rule: whatever levels a person holds, a door into a
  // restricted area admits only the area's groups. A level is the only way a
  // group reaches a door, so checking each level's groups is sufficient.
  void check_restricted(const AccessLevel& level, const EntityWhere& w, const Door& door) {
    auto area = areas_.find(door.to_area);
    if (area == areas_.end()) return;
    const Area& a = site_.areas[area->second];
    if (a.restricted_to.empty()) return;
    // With a misspelt group in restricted_to, the level is probably right and
    // the area wrong; the misspelling is reported, and judging levels by it
    // would bury that under consequences.
    for (const auto& g : a.restricted_to) {
      if (!groups_.contains(g)) return;
    }
    for (const std::string& group : level.groups) {
      // An unknown group is reported once, as unknown, not again here.
      if (!groups_.contains(group)) continue;
      if (std::find(a.restricted_to.begin(), a.restricted_to.end(), group) !=
          a.restricted_to.end()) {
        continue;
      }
      std::string allowed;
      for (const auto& g : a.restricted_to) allowed += (allowed.empty() ? "" : ", ") + g;
      add_problem(out_, w.at, w.path,
                  "access level '" + level.id + "' grants group '" + group + "' door '" +
                      door.id + "' into restricted area '" + a.id + "' (allowed groups: " +
                      allowed + ")");
    }
  }

  void check_doors() {
    std::map<std::string, std::size_t, std::less<>> reader_door;
    std::map<std::pair<std::string, int>, std::size_t> coil_door;
    // (io, input) -> (door, "contact" or "exit_button")
    std::map<std::pair<std::string, int>, std::pair<std::size_t, std::string>> input_use;
    for (std::size_t i = 0; i < site_.doors.size(); ++i) {
      const Door& d = site_.doors[i];
      const EntityWhere& w = where_.doors[i];
      resolve(areas_, kAreaKind, d.from_area, w, "from");
      const std::size_t* to = resolve(areas_, kAreaKind, d.to_area, w, "to");
      if (const std::size_t* r = resolve(readers_, kReaderKind, d.reader, w, "reader")) {
        check_reader(d, w, site_.readers[*r], i, reader_door);
      }
      if (resolve(io_modules_, kIoModuleKind, d.lock.io, w, "lock.io") != nullptr &&
          w.valid("lock.coil")) {
        auto [it, fresh] = coil_door.emplace(std::make_pair(d.lock.io, d.lock.coil), i);
        if (!fresh) {
          add_problem(out_, w.field("lock.coil"), w.path + ".lock.coil",
                      "io module '" + d.lock.io + "' coil " + std::to_string(d.lock.coil) +
                          " already drives the lock of door '" + site_.doors[it->second].id +
                          "' (" + line_text(where_.doors[it->second].field("lock.coil")) + ")");
        }
      }
      check_input(d.contact, "contact", i, input_use);
      check_input(d.exit_button, "exit_button", i, input_use);
      for (std::size_t c = 0; c < d.cameras.size(); ++c) {
        resolve(cameras_, kCameraKind, d.cameras[c], w, "cameras[" + std::to_string(c) + "]");
      }
      if (resolve(schedules_, kScheduleKind, d.unlocked_during, w, "unlocked_during") !=
              nullptr &&
          to != nullptr && !site_.areas[*to].restricted_to.empty()) {
        // Free entry on a schedule would admit anyone, defeating restricted_to.
        add_problem(out_, w.field("unlocked_during"), w.path + ".unlocked_during",
                    "door '" + d.id + "' leads into restricted area '" + d.to_area +
                        "', so it cannot be unlocked on a schedule (free entry would admit "
                        "anyone)");
      }
      if (d.visitor_escort && w.valid("visitor_escort") && to != nullptr &&
          !site_.areas[*to].restricted_to.empty()) {
        // Visitors are refused at restricted areas whoever escorts them; the
        // key would promise an entry that never happens.
        add_problem(out_, w.field("visitor_escort"), w.path + ".visitor_escort",
                    "door '" + d.id + "' leads into restricted area '" + d.to_area +
                        "', which visitors never enter, escorted or not; remove visitor_escort");
      }
    }
  }

  void check_reader(const Door& d, const EntityWhere& w, const Reader& reader, std::size_t door,
                    std::map<std::string, std::size_t, std::less<>>& reader_door) {
    auto [it, fresh] = reader_door.emplace(d.reader, door);
    if (!fresh) {
      add_problem(out_, w.field("reader"), w.path + ".reader",
                  "reader '" + d.reader + "' already serves door '" + site_.doors[it->second].id +
                      "' (" + line_text(where_.doors[it->second].field("reader")) +
                      "); a reader serves one door");
    }
    if (d.mode == DoorMode::kCardAndPin && !reader.keypad) {
      add_problem(out_, w.field("mode"), w.path + ".mode",
                  "mode \"card-and-pin\" needs a reader with a keypad, but reader '" + d.reader +
                      "' has keypad = false");
    }
  }

  void check_input(const std::optional<InputPoint>& point, const std::string& name,
                   std::size_t door,
                   std::map<std::pair<std::string, int>, std::pair<std::size_t, std::string>>&
                       input_use) {
    if (!point) return;
    const EntityWhere& w = where_.doors[door];
    const std::size_t* module = resolve(io_modules_, kIoModuleKind, point->io, w, name + ".io");
    if (module == nullptr || !w.valid(name + ".input")) return;
    const IoModule& m = site_.io_modules[*module];
    if (point->input >= m.input_count) {
      // The bus reads only input_count inputs: this point would never be seen.
      add_problem(out_, w.field(name + ".input"), w.path + "." + name + ".input",
                  "io module '" + point->io + "' reads " + std::to_string(m.input_count) +
                      " inputs (input_count), so input " + std::to_string(point->input) +
                      " does not exist; raise input_count or use inputs 0.." +
                      std::to_string(m.input_count - 1));
      return;
    }
    auto [it, fresh] =
        input_use.emplace(std::make_pair(point->io, point->input), std::make_pair(door, name));
    if (fresh) return;
    const auto& [other, other_name] = it->second;
    add_problem(out_, w.field(name + ".input"), w.path + "." + name + ".input",
                "io module '" + point->io + "' input " + std::to_string(point->input) +
                    " is already the " + other_name + " of door '" + site_.doors[other].id +
                    "' (" + line_text(where_.doors[other].field(other_name + ".input")) + ")");
  }

  // One device per (endpoint, address) and, on a serial line, one protocol
  // and one set of line settings: a second master or a second baud rate on
  // RS-485 garbles every frame on it.
  void check_device_lines() {
    struct Line {
      std::string protocol;
      std::string settings;
      std::string owner;  // "io module 'io-1'"
      Pos pos;
    };
    std::map<std::string, Line> lines;
    auto check_line = [&](const Endpoint& ep, const std::string& protocol,
                          const std::string& owner, Pos pos, const std::string& key) {
      if (!ep.serial) return;
      auto [it, fresh] = lines.emplace(ep.device, Line{protocol, ep.settings(), owner, pos});
      if (fresh) return;
      const Line& first = it->second;
      if (first.protocol != protocol) {
        add_problem(out_, pos, key,
                    "serial line " + ep.device + " already carries " + first.protocol + " for " +
                        first.owner + " (" + line_text(first.pos) + "); a line carries one "
                        "protocol");
      } else if (first.settings != ep.settings()) {
        add_problem(out_, pos, key,
                    "serial line " + ep.device + " is set to " + first.settings + " by " +
                        first.owner + " (" + line_text(first.pos) +
                        "); every device on one line uses the same settings");
      }
    };

    std::map<std::pair<std::string, int>, std::size_t> units;
    for (std::size_t i = 0; i < site_.io_modules.size(); ++i) {
      const IoModule& m = site_.io_modules[i];
      const EntityWhere& w = where_.io_modules[i];
      auto ep = parse_modbus_endpoint(m.modbus);
      if (!ep.ok() || !w.valid("modbus")) continue;
      check_line(*ep, "Modbus", "io module '" + m.id + "'", w.field("modbus"), w.path + ".modbus");
      if (!w.valid("unit")) continue;
      auto [it, fresh] = units.emplace(std::make_pair(ep->identity(), m.unit), i);
      if (!fresh) {
        add_problem(out_, w.field("unit"), w.path + ".unit",
                    "io module '" + m.id + "' has the same Modbus endpoint and unit as io module '" +
                        site_.io_modules[it->second].id + "' (" +
                        line_text(where_.io_modules[it->second].at) + "): " + ep->identity() +
                        " unit " + std::to_string(m.unit));
      }
    }

    std::map<std::pair<std::string, int>, std::size_t> addresses;
    for (std::size_t i = 0; i < site_.readers.size(); ++i) {
      const Reader& r = site_.readers[i];
      const EntityWhere& w = where_.readers[i];
      auto ep = parse_osdp_endpoint(r.osdp);
      if (!ep.ok() || !w.valid("osdp")) continue;
      check_line(*ep, "OSDP", "reader '" + r.id + "'", w.field("osdp"), w.path + ".osdp");
      if (!w.valid("address")) continue;
      auto [it, fresh] = addresses.emplace(std::make_pair(ep->identity(), r.address), i);
      if (!fresh) {
        add_problem(out_, w.field("address"), w.path + ".address",
                    "reader '" + r.id + "' has the same OSDP endpoint and address as reader '" +
                        site_.readers[it->second].id + "' (" +
                        line_text(where_.readers[it->second].at) + "): " + ep->identity() +
                        " address " + std::to_string(r.address));
      }
    }
  }

  const Site& site_;
  const SiteWhere& where_;
  std::vector<Problem>& out_;
  IdIndex schedules_;
  IdIndex areas_;
  IdIndex groups_;
  IdIndex io_modules_;
  IdIndex readers_;
  IdIndex cameras_;
  IdIndex doors_;
};

}  // namespace

void validate_site(const Site& site, const SiteWhere& where, std::vector<Problem>& out) {
  Validator(site, where, out).run();
}

}  // namespace gatehouse::site::detail
