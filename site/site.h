// The site model: everything a site file declares, after validation. Plain data,
// no I/O. Ids are the operator's own strings from the file; every cross-reference
// in a validated Site names an entity that exists in it.
//
// Thread safety: plain values; share const instances freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::site {

// A span within one local day, in minutes from local midnight: [start, end).
// end may be 1440 ("24:00").
struct Interval {
  int start_min = 0;
  int end_min = 0;
  bool operator==(const Interval&) const = default;
};

// The reserved group every checked-in visitor belongs to implicitly, and nobody
// else: access levels that name it say which doors visitor passes open.
inline constexpr const char* kVisitorsGroup = "visitors";

// Days are 0 = Monday .. 6 = Sunday (ISO order); 7 = holidays.
inline constexpr int kHolidayDay = 7;

struct Schedule {
  std::string id;
  std::string name;
  // weekly[day] lists the intervals open on that day, sorted, non-overlapping.
  std::map<int, std::vector<Interval>> weekly;
  std::vector<std::string> holidays;  // ISO dates "YYYY-MM-DD", sorted, unique
  bool operator==(const Schedule&) const = default;
};

enum class AntiPassback { kNone, kSoft, kHard };

struct Area {
  std::string id;
  std::string name;
  std::vector<std::string> restricted_to;  // group ids; empty = not restricted
  bool two_person = false;
  AntiPassback anti_passback = AntiPassback::kNone;
  bool operator==(const Area&) const = default;
};

struct Group {
  std::string id;
  std::string name;
  bool operator==(const Group&) const = default;
};

struct AccessLevel {
  std::string id;
  std::string name;
  std::vector<std::string> groups;
  std::vector<std::string> doors;
  std::string schedule;
  bool operator==(const AccessLevel&) const = default;
};

struct IoModule {
  std::string id;
  std::string name;
  std::string modbus;  // "tcp://host:port" or "rtu:///dev/ttyS0?baud=9600&parity=N&data=8&stop=1"
  int unit = 1;        // Modbus unit (slave) id, 0..247
  int poll_ms = 100;
  int timeout_ms = 200;
  int retries = 2;
  // The module's register map (docs/modbus.md): coil N of a door's lock is
  // Modbus coil coil_base + N; the inputs read are input_base ..
  // input_base + input_count - 1 (discrete inputs, FC 02).
  int coil_base = 0;    // 0..65535
  int input_base = 0;   // 0..65535
  int input_count = 8;  // 1..2000
  bool operator==(const IoModule&) const = default;
};

struct Reader {
  std::string id;
  std::string name;
  std::string osdp;  // "tcp://host:port" or "serial:///dev/ttyUSB0?baud=9600"
  int address = 0;   // OSDP address 0..126
  bool secure_channel = true;
  bool keypad = false;
  bool operator==(const Reader&) const = default;
};

struct Camera {
  std::string id;
  std::string name;
  std::string url;  // rtsp://...
  int retention_days = 30;
  bool operator==(const Camera&) const = default;
};

enum class Polarity { kNormallyClosed, kNormallyOpen };
enum class FailMode { kSecure, kSafe };  // what the lock does without power
enum class DoorMode { kCard, kCardAndPin };

struct LockPoint {
  std::string io;
  int coil = 0;
  FailMode fail = FailMode::kSecure;
  bool operator==(const LockPoint&) const = default;
};

struct InputPoint {
  std::string io;
  int input = 0;
  Polarity normally = Polarity::kNormallyClosed;
  bool operator==(const InputPoint&) const = default;
};

struct Door {
  std::string id;
  std::string name;
  std::string from_area;
  std::string to_area;
  std::string reader;
  DoorMode mode = DoorMode::kCard;
  LockPoint lock;
  std::optional<InputPoint> contact;
  std::optional<InputPoint> exit_button;  // normally open unless stated
  int unlock_seconds = 5;
  int held_open_seconds = 30;
  std::vector<std::string> cameras;
  std::string unlocked_during;  // schedule id, empty = none
  // A visitor's pass opens this door only if the host's badge was granted at
  // this door within the last 10 s.
  bool visitor_escort = false;
  bool operator==(const Door&) const = default;
};

struct Site {
  std::string name;
  std::string timezone;  // IANA name, e.g. "Europe/London"
  // [site] badge and PIN rules (docs/site-file.md):
  int suspend_unused_days = 0;   // suspend active badges unused this many days; 0 = off
  int pin_attempts = 5;          // consecutive wrong PINs that lock a badge's PIN
  int pin_lockout_minutes = 15;  // how long the PIN stays locked
  std::vector<Schedule> schedules;
  std::vector<Area> areas;
  std::vector<Group> groups;
  std::vector<AccessLevel> access_levels;
  std::vector<IoModule> io_modules;
  std::vector<Reader> readers;
  std::vector<Camera> cameras;
  std::vector<Door> doors;
  bool operator==(const Site&) const = default;
};

std::string_view to_string(AntiPassback v);
std::string_view to_string(Polarity v);
std::string_view to_string(FailMode v);
std::string_view to_string(DoorMode v);

}  // namespace gatehouse::site
