// The site file parser as an operator meets it: the example file must load,
// and each mistake in tests/site/invalid/ must be reported once, at the line
// and key where the operator has to fix it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "site/parser.h"

namespace gatehouse::site {
namespace {

using ::testing::HasSubstr;

std::string source_path(std::string_view relative) {
  return std::string(GATEHOUSE_SOURCE_DIR) + "/" + std::string(relative);
}

std::string describe(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + format_problem(p, "file");
  return out;
}

const Schedule* find_schedule(const Site& site, std::string_view id) {
  for (const auto& s : site.schedules) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

TEST(SiteExample, ParsesWithoutProblems) {
  ParseOutcome outcome = parse_site_file(source_path("docs/examples/site.toml"));
  ASSERT_TRUE(outcome.problems.empty()) << describe(outcome.problems);
  ASSERT_TRUE(outcome.site.has_value());
  const Site& site = *outcome.site;

  EXPECT_EQ(site.name, "Newcastle office");
  EXPECT_EQ(site.timezone, "Europe/London");
  EXPECT_EQ(site.areas.size(), 4u);
  EXPECT_EQ(site.groups.size(), 3u);
  EXPECT_EQ(site.access_levels.size(), 4u);
  EXPECT_EQ(site.readers.size(), 3u);
  EXPECT_EQ(site.cameras.size(), 3u);

  // Lists keep file order.
  ASSERT_EQ(site.doors.size(), 3u);
  EXPECT_EQ(site.doors[0].id, "main-entrance");
  EXPECT_EQ(site.doors[1].id, "office-door");
  const Door& it = site.doors[2];
  EXPECT_EQ(it.id, "it-storage-door");
  EXPECT_EQ(it.from_area, "office");
  EXPECT_EQ(it.to_area, "it-storage");
  EXPECT_EQ(it.reader, "r-it-in");
  EXPECT_EQ(it.mode, DoorMode::kCardAndPin);
  EXPECT_EQ(it.lock, (LockPoint{"io-it", 0, FailMode::kSecure}));
  EXPECT_EQ(it.cameras, (std::vector<std::string>{"cam-it", "cam-office"}));
  EXPECT_EQ(it.unlock_seconds, 4);
  EXPECT_EQ(it.held_open_seconds, 15);
  EXPECT_TRUE(it.unlocked_during.empty());

  EXPECT_EQ(site.suspend_unused_days, 90);
  EXPECT_EQ(site.pin_attempts, 5);
  EXPECT_EQ(site.pin_lockout_minutes, 15);
  EXPECT_FALSE(site.doors[0].visitor_escort);
  EXPECT_TRUE(site.doors[1].visitor_escort);

  const Schedule* business = find_schedule(site, "business-hours");
  ASSERT_NE(business, nullptr);
  const std::vector<Interval> weekday = {{7 * 60, 19 * 60 + 30}};
  for (int day = 0; day < 5; ++day) EXPECT_EQ(business->weekly.at(day), weekday) << day;
  EXPECT_EQ(business->weekly.at(5), (std::vector<Interval>{{8 * 60, 13 * 60}}));
  EXPECT_FALSE(business->weekly.contains(6));            // Sunday: closed
  EXPECT_FALSE(business->weekly.contains(kHolidayDay));  // holidays: closed by default
  EXPECT_EQ(business->holidays,
            (std::vector<std::string>{"2026-12-25", "2026-12-26", "2027-01-01"}));

  const Schedule* always = find_schedule(site, "always");
  ASSERT_NE(always, nullptr);
  for (int day = 0; day < 7; ++day) {
    EXPECT_EQ(always->weekly.at(day), (std::vector<Interval>{{0, 24 * 60}})) << day;
  }
}

TEST(SiteExample, FillsDefaults) {
  ParseOutcome outcome = parse_site_file(source_path("docs/examples/site.toml"));
  ASSERT_TRUE(outcome.site.has_value()) << describe(outcome.problems);
  const Site& site = *outcome.site;

  const Door& main = site.doors[0];
  EXPECT_EQ(main.mode, DoorMode::kCard);
  EXPECT_EQ(main.lock.fail, FailMode::kSecure);
  ASSERT_TRUE(main.contact.has_value());
  EXPECT_EQ(main.contact->normally, Polarity::kNormallyClosed);
  ASSERT_TRUE(main.exit_button.has_value());
  EXPECT_EQ(*main.exit_button, (InputPoint{"io-ground", 1, Polarity::kNormallyOpen}));
  EXPECT_EQ(main.unlocked_during, "business-hours");

  EXPECT_EQ(site.areas[0].anti_passback, AntiPassback::kNone);
  EXPECT_EQ(site.areas[2].anti_passback, AntiPassback::kSoft);
  EXPECT_EQ(site.areas[3].restricted_to, (std::vector<std::string>{"it"}));

  const IoModule& io = site.io_modules[0];
  EXPECT_EQ(io.poll_ms, 100);
  EXPECT_EQ(io.timeout_ms, 200);
  EXPECT_EQ(io.retries, 2);
  EXPECT_FALSE(site.readers[0].keypad);
  EXPECT_TRUE(site.readers[2].keypad);
  EXPECT_EQ(site.cameras[2].retention_days, 90);
}

// The base of every file in invalid/: it must be clean, so that each invalid
// file's one problem comes from its one change.
TEST(SiteMinimal, ParsesWithoutProblems) {
  ParseOutcome outcome = parse_site_file(source_path("tests/site/valid/minimal.toml"));
  EXPECT_TRUE(outcome.problems.empty()) << describe(outcome.problems);
  EXPECT_TRUE(outcome.site.has_value());
}

struct InvalidCase {
  const char* file;  // under tests/site/invalid/, without ".toml"
  int line;
  const char* key;
  const char* message;  // a substring of the message
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.file; }

// Each file holds one mistake and must give exactly one problem: a second
// one would be a cascade that hides the real mistake.
const InvalidCase kInvalidCases[] = {
    {"syntax_error", 3, "", "TOML syntax error"},
    {"duplicate_id", 63, "camera.cam-lobby",
     "duplicate camera id 'cam-lobby'; first defined at line 59"},
    {"unknown_reader", 66, "door.main-entrance.reader", "unknown reader 'r-lobby-in'"},
    {"bad_time", 8, "schedule.business-hours.weekly.mon-fri", "'25:00' is not a time of day"},
    {"level_unknown_door", 34, "access_level.office-hours.doors", "unknown door 'back-door'"},
    {"restricted_unknown_group", 23, "area.it-storage.restricted_to",
     "unknown group 'it-staff'"},
    {"restricted_violation", 31, "access_level.office-hours",
     "access level 'office-hours' grants group 'staff' door 'it-storage-door' into restricted "
     "area 'it-storage' (allowed groups: it)"},
    {"unknown_key", 70, "door.main-entrance.unlock_secs",
     "unknown key 'unlock_secs' in door; known keys: id, name, from, to, reader, mode, lock"},
    {"wrong_type", 70, "door.main-entrance.unlock_seconds", "expected an integer, got a string"},
    {"bad_timezone", 4, "site.timezone", "unknown time zone 'Europe/Newcastle'"},
    {"overlap", 8, "schedule.business-hours.weekly.fri",
     "'18:00-22:00' overlaps '07:00-19:30' from mon-fri on fri"},
    {"reader_address", 55, "reader.r-it-in.address", "must be from 0 to 126, got 127"},
    {"same_coil", 78, "door.it-storage-door.lock.coil",
     "io module 'io-ground' coil 0 already drives the lock of door 'main-entrance' (line 67)"},
    {"pin_without_keypad", 76, "door.it-storage-door.mode",
     "needs a reader with a keypad, but reader 'r-it-in' has keypad = false"},
    {"bad_holiday", 9, "schedule.business-hours.holidays",
     "'2027-02-29' is not a real calendar date"},
    {"duplicate_holiday", 9, "schedule.business-hours.holidays", "'2026-12-25' is listed twice"},
    {"same_input", 80, "door.it-storage-door.exit_button.input",
     "io module 'io-ground' input 0 is already the contact of door 'main-entrance' (line 68)"},
    {"reader_two_doors", 76, "door.it-storage-door.reader",
     "reader 'r-it-in' already serves door 'main-entrance' (line 66)"},
    {"same_reader_address", 55, "reader.r-it-in.address",
     "same OSDP endpoint and address as reader 'r-main-in'"},
    {"unlocked_restricted", 81, "door.it-storage-door.unlocked_during",
     "leads into restricted area 'it-storage', so it cannot be unlocked on a schedule"},
    {"missing_site", 0, "site", "missing [site] table"},
    {"bad_modbus", 45, "io_module.io-ground.modbus", "'tcp://127.0.0.1': the port is missing"},
    {"bad_id", 38, "access_level.IT Storage.id", "id 'IT Storage' is not allowed"},
    {"missing_required", 62, "door.main-entrance.to", "missing required key 'to' in door"},
    {"bad_choice", 77, "door.it-storage-door.mode",
     "\"card-or-pin\" is not allowed; expected one of \"card\", \"card-and-pin\""},
    {"door_not_array", 56, "door", "write [[door]] rather than [door]"},
    {"escort_restricted", 81, "door.it-storage-door.visitor_escort",
     "door 'it-storage-door' leads into restricted area 'it-storage', which visitors never enter, "
     "escorted or not; remove visitor_escort"},
    {"input_beyond_count", 80, "door.it-storage-door.exit_button.input",
     "io module 'io-ground' reads 8 inputs (input_count), so input 8 does not exist; raise "
     "input_count or use inputs 0..7"},
    {"visitors_restricted", 23, "area.it-storage.restricted_to",
     "group 'visitors' cannot be allowed into a restricted area: visitors never enter one"},
};

class InvalidFile : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidFile, ReportsOneProblemWhereItIs) {
  const InvalidCase& c = GetParam();
  ParseOutcome outcome =
      parse_site_file(source_path("tests/site/invalid/" + std::string(c.file) + ".toml"));
  EXPECT_FALSE(outcome.site.has_value());
  ASSERT_EQ(outcome.problems.size(), 1u) << describe(outcome.problems);
  const Problem& p = outcome.problems[0];
  EXPECT_EQ(p.line, c.line);
  EXPECT_EQ(p.key, c.key);
  EXPECT_THAT(p.message, HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(Site, InvalidFile, ::testing::ValuesIn(kInvalidCases),
                         [](const ::testing::TestParamInfo<InvalidCase>& info) {
                           return std::string(info.param.file);
                         });

// An invalid file without a case here would be a test that never runs.
TEST(InvalidFiles, EachHasACase) {
  std::set<std::string> cased;
  for (const auto& c : kInvalidCases) cased.insert(std::string(c.file) + ".toml");
  cased.insert("many_problems.toml");
  for (const auto& entry :
       std::filesystem::directory_iterator(source_path("tests/site/invalid"))) {
    EXPECT_TRUE(cased.contains(entry.path().filename().string())) << entry.path();
  }
}

TEST(InvalidFiles, ManyProblemsAreAllReportedInFileOrder) {
  ParseOutcome outcome = parse_site_file(source_path("tests/site/invalid/many_problems.toml"));
  EXPECT_FALSE(outcome.site.has_value());
  struct Expected {
    int line;
    std::string key;
    std::string message;
  };
  const std::vector<Expected> expected = {
      {5, "site.timezone", "unknown time zone 'Mars/Olympus_Mons'"},
      {9, "schedule.day.weekly.mon-fri", "'17:00-20:00' overlaps '08:00-18:00'"},
      {10, "schedule.day.holidays", "'2026-13-01' is not a real calendar date"},
      {25, "access_level.everyone",
       "grants group 'staff' door 'vault-door' into restricted area 'vault' (allowed groups: "
       "guards)"},
      {29, "access_level.everyone.schedule", "unknown schedule 'night'"},
      {34, "io_module.io.retries", "must be from 0 to 10, got 11"},
      {40, "reader.r-vault.secure_channel", "expected a boolean (true or false), got a string"},
      {48, "door.vault-door.held_open_secs", "unknown key 'held_open_secs' in door"},
      {49, "door.vault-door.cameras", "unknown camera 'cam-vault'; no [[camera]] is defined"},
      {52, "door.vault-door", "duplicate door id 'vault-door'; first defined at line 43"},
      {55, "door.vault-door.reader", "unknown reader 'r-vault2'; did you mean 'r-vault'?"},
  };
  ASSERT_EQ(outcome.problems.size(), expected.size()) << describe(outcome.problems);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Problem& p = outcome.problems[i];
    EXPECT_EQ(p.line, expected[i].line) << i;
    EXPECT_EQ(p.key, expected[i].key) << i;
    EXPECT_THAT(p.message, HasSubstr(expected[i].message)) << i;
  }
}

// Small cases that need no file of their own.
ParseOutcome parse(std::string_view text) { return parse_site_text(text, "test.toml"); }

constexpr std::string_view kSiteHeader =
    "[site]\n"
    "name = \"x\"\n"
    "timezone = \"UTC\"\n";

TEST(SiteText, SmallestSiteIsValid) {
  ParseOutcome outcome = parse(kSiteHeader);
  EXPECT_TRUE(outcome.problems.empty()) << describe(outcome.problems);
  ASSERT_TRUE(outcome.site.has_value());
  EXPECT_EQ(outcome.site->timezone, "UTC");
}

TEST(SiteText, AccessSettingsHaveDefaults) {
  ParseOutcome outcome = parse(std::string(kSiteHeader) +
                               "[[area]]\nid = \"a\"\n[[area]]\nid = \"b\"\n"
                               "[[io_module]]\nid = \"io\"\nmodbus = \"tcp://127.0.0.1:502\"\n"
                               "[[reader]]\nid = \"r\"\naddress = 0\nosdp = \"tcp://127.0.0.1:4001\"\n"
                               "[[door]]\nid = \"d\"\nfrom = \"a\"\nto = \"b\"\nreader = \"r\"\n"
                               "lock = { io = \"io\", coil = 0 }\n");
  ASSERT_TRUE(outcome.site.has_value()) << describe(outcome.problems);
  EXPECT_EQ(outcome.site->suspend_unused_days, 0) << "off unless asked for";
  EXPECT_EQ(outcome.site->pin_attempts, 5);
  EXPECT_EQ(outcome.site->pin_lockout_minutes, 15);
  EXPECT_FALSE(outcome.site->doors.at(0).visitor_escort);
}

TEST(SiteText, IoModuleRegisterMapHasDefaultsAndRanges) {
  const std::string module = "[[io_module]]\nid = \"io\"\nmodbus = \"tcp://127.0.0.1:502\"\n";
  ParseOutcome plain = parse(std::string(kSiteHeader) + module);
  ASSERT_TRUE(plain.site.has_value()) << describe(plain.problems);
  const IoModule& io = plain.site->io_modules.at(0);
  EXPECT_EQ(io.coil_base, 0);
  EXPECT_EQ(io.input_base, 0);
  EXPECT_EQ(io.input_count, 8);

  ParseOutcome set = parse(std::string(kSiteHeader) + module +
                           "coil_base = 100\ninput_base = 65535\ninput_count = 2000\n");
  ASSERT_TRUE(set.site.has_value()) << describe(set.problems);
  EXPECT_EQ(set.site->io_modules.at(0).coil_base, 100);
  EXPECT_EQ(set.site->io_modules.at(0).input_base, 65535);
  EXPECT_EQ(set.site->io_modules.at(0).input_count, 2000);

  struct Case {
    const char* line;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"coil_base = -1", "io_module.io.coil_base", "must be from 0 to 65535, got -1"},
      {"input_base = 65536", "io_module.io.input_base", "must be from 0 to 65535, got 65536"},
      {"input_count = 0", "io_module.io.input_count", "must be from 1 to 2000, got 0"},
      {"input_count = 2001", "io_module.io.input_count", "must be from 1 to 2000, got 2001"},
  };
  for (const Case& c : cases) {
    ParseOutcome outcome = parse(std::string(kSiteHeader) + module + c.line + "\n");
    ASSERT_EQ(outcome.problems.size(), 1u) << c.line << describe(outcome.problems);
    EXPECT_EQ(outcome.problems[0].line, 7) << c.line;
    EXPECT_EQ(outcome.problems[0].key, c.key) << c.line;
    EXPECT_THAT(outcome.problems[0].message, HasSubstr(c.message)) << c.line;
  }
}

TEST(SiteText, AccessSettingsAreReadAndRangeChecked) {
  ParseOutcome ok = parse(
      "[site]\nname = \"x\"\ntimezone = \"UTC\"\nsuspend_unused_badges_after_days = 3650\n"
      "pin_attempts = 20\npin_lockout_minutes = 1\n");
  ASSERT_TRUE(ok.site.has_value()) << describe(ok.problems);
  EXPECT_EQ(ok.site->suspend_unused_days, 3650);
  EXPECT_EQ(ok.site->pin_attempts, 20);
  EXPECT_EQ(ok.site->pin_lockout_minutes, 1);

  struct Case {
    const char* line;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"suspend_unused_badges_after_days = 3651", "site.suspend_unused_badges_after_days",
       "must be from 0 to 3650, got 3651"},
      {"suspend_unused_badges_after_days = -1", "site.suspend_unused_badges_after_days",
       "must be from 0 to 3650, got -1"},
      {"pin_attempts = 0", "site.pin_attempts", "must be from 1 to 20, got 0"},
      {"pin_attempts = 21", "site.pin_attempts", "must be from 1 to 20, got 21"},
      {"pin_lockout_minutes = 0", "site.pin_lockout_minutes", "must be from 1 to 1440, got 0"},
      {"pin_lockout_minutes = 1441", "site.pin_lockout_minutes", "must be from 1 to 1440, got 1441"},
      {"pin_attempts = \"5\"", "site.pin_attempts", "expected an integer, got a string"},
      {"pin_atempts = 5", "site.pin_atempts", "unknown key 'pin_atempts' in site"},
  };
  for (const Case& c : cases) {
    ParseOutcome outcome = parse(std::string(kSiteHeader) + c.line + "\n");
    ASSERT_EQ(outcome.problems.size(), 1u) << c.line << describe(outcome.problems);
    EXPECT_EQ(outcome.problems[0].line, 4) << c.line;
    EXPECT_EQ(outcome.problems[0].key, c.key) << c.line;
    EXPECT_THAT(outcome.problems[0].message, HasSubstr(c.message)) << c.line;
  }
}

TEST(SiteText, VisitorEscortIsABoolean) {
  const std::string door =
      "[[area]]\nid = \"a\"\n[[area]]\nid = \"b\"\n"
      "[[io_module]]\nid = \"io\"\nmodbus = \"tcp://127.0.0.1:502\"\n"
      "[[reader]]\nid = \"r\"\naddress = 0\nosdp = \"tcp://127.0.0.1:4001\"\n"
      "[[door]]\nid = \"d\"\nfrom = \"a\"\nto = \"b\"\nreader = \"r\"\n"
      "lock = { io = \"io\", coil = 0 }\n";
  ParseOutcome yes = parse(std::string(kSiteHeader) + door + "visitor_escort = true\n");
  ASSERT_TRUE(yes.site.has_value()) << describe(yes.problems);
  EXPECT_TRUE(yes.site->doors.at(0).visitor_escort);
  ParseOutcome bad = parse(std::string(kSiteHeader) + door + "visitor_escort = \"yes\"\n");
  ASSERT_EQ(bad.problems.size(), 1u) << describe(bad.problems);
  EXPECT_EQ(bad.problems[0].key, "door.d.visitor_escort");
  EXPECT_THAT(bad.problems[0].message, HasSubstr("expected a boolean"));
}

TEST(SiteText, TimezoneMustNameAZoneFile) {
  for (const char* tz : {"../../etc/passwd", "/etc/localtime", "Europe", "zone.tab", ""}) {
    ParseOutcome outcome = parse(std::string("[site]\nname = \"x\"\ntimezone = \"") + tz + "\"\n");
    ASSERT_EQ(outcome.problems.size(), 1u) << tz << describe(outcome.problems);
    EXPECT_EQ(outcome.problems[0].key, "site.timezone") << tz;
    EXPECT_EQ(outcome.problems[0].line, 3) << tz;
  }
}

TEST(SiteText, WeeklyHolidayIntervalsAndTomlDates) {
  ParseOutcome outcome = parse(std::string(kSiteHeader) +
                               "[[schedule]]\n"
                               "id = \"s\"\n"
                               "weekly = { sat-sun = [\"13:00-17:00\", \"09:00-12:00\"], "
                               "holidays = [\"10:00-14:00\"] }\n"
                               "holidays = [2026-12-26, \"2026-12-25\"]\n");
  ASSERT_TRUE(outcome.site.has_value()) << describe(outcome.problems);
  const Schedule& s = outcome.site->schedules.at(0);
  const std::vector<Interval> weekend = {{9 * 60, 12 * 60}, {13 * 60, 17 * 60}};  // sorted
  EXPECT_EQ(s.weekly.at(5), weekend);
  EXPECT_EQ(s.weekly.at(6), weekend);
  EXPECT_EQ(s.weekly.at(kHolidayDay), (std::vector<Interval>{{10 * 60, 14 * 60}}));
  EXPECT_EQ(s.holidays, (std::vector<std::string>{"2026-12-25", "2026-12-26"}));
}

TEST(SiteText, OverlapBetweenTwoSpecsIsReportedOnce) {
  // mon-fri and all meet on five days; that is one mistake, not five.
  ParseOutcome outcome = parse(std::string(kSiteHeader) +
                               "[[schedule]]\n"
                               "id = \"s\"\n"
                               "weekly = { mon-fri = [\"08:00-12:00\"], all = [\"11:00-13:00\"] }\n");
  ASSERT_EQ(outcome.problems.size(), 1u) << describe(outcome.problems);
  EXPECT_EQ(outcome.problems[0].line, 6);
  EXPECT_EQ(outcome.problems[0].key, "schedule.s.weekly.all");  // the later of the two
  EXPECT_EQ(outcome.problems[0].message, "'11:00-13:00' overlaps '08:00-12:00' from mon-fri on mon");
}

TEST(SiteText, TouchingIntervalsDoNotOverlap) {
  ParseOutcome outcome = parse(std::string(kSiteHeader) +
                               "[[schedule]]\n"
                               "id = \"s\"\n"
                               "weekly = { mon = [\"08:00-12:00\", \"12:00-24:00\"] }\n");
  EXPECT_TRUE(outcome.problems.empty()) << describe(outcome.problems);
}

TEST(SiteText, EntityWithoutIdIsNamedByPlace) {
  ParseOutcome outcome = parse(std::string(kSiteHeader) +
                               "[[group]]\nid = \"a\"\n"
                               "[[group]]\nname = \"no id\"\n");
  ASSERT_EQ(outcome.problems.size(), 1u) << describe(outcome.problems);
  EXPECT_EQ(outcome.problems[0].line, 6);
  EXPECT_EQ(outcome.problems[0].key, "group[2].id");
  EXPECT_EQ(outcome.problems[0].message, "missing required key 'id' in group");
}

TEST(SiteText, SerialLineCarriesOneProtocolAndOneSetting) {
  ParseOutcome outcome =
      parse(std::string(kSiteHeader) +
            "[[io_module]]\nid = \"a\"\n"
            "modbus = \"rtu:///dev/ttyS0?baud=9600&parity=N&data=8&stop=1\"\n"
            "[[io_module]]\nid = \"b\"\nunit = 2\n"
            "modbus = \"rtu:///dev/ttyS0?stop=1&data=8&parity=E&baud=9600\"\n"
            "[[reader]]\nid = \"r\"\naddress = 0\nosdp = \"serial:///dev/ttyS0?baud=9600\"\n");
  ASSERT_EQ(outcome.problems.size(), 2u) << describe(outcome.problems);
  EXPECT_EQ(outcome.problems[0].line, 10);
  EXPECT_THAT(outcome.problems[0].message, HasSubstr("every device on one line uses the same"));
  EXPECT_EQ(outcome.problems[1].line, 14);
  EXPECT_THAT(outcome.problems[1].message, HasSubstr("already carries Modbus for io module 'a'"));
}

TEST(SiteText, UnreadableFileIsOneProblemWithoutLine) {
  ParseOutcome outcome = parse_site_file(source_path("tests/site/no-such-file.toml"));
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_EQ(outcome.problems[0].line, 0);
  EXPECT_THAT(outcome.problems[0].message, HasSubstr("No such file or directory"));

  outcome = parse_site_file(source_path("tests/site"));  // a directory
  ASSERT_EQ(outcome.problems.size(), 1u);
  EXPECT_EQ(outcome.problems[0].line, 0);
}

TEST(FormatProblem, LeavesOutLineAndKeyWhenAbsent) {
  EXPECT_EQ(format_problem({12, 3, "door.x.reader", "unknown reader 'r'"}, "site.toml"),
            "site.toml:12: door.x.reader: unknown reader 'r'");
  EXPECT_EQ(format_problem({0, 0, "site", "missing [site] table"}, "site.toml"),
            "site.toml: site: missing [site] table");
  EXPECT_EQ(format_problem({3, 7, "", "TOML syntax error: x"}, "a.toml"),
            "a.toml:3: TOML syntax error: x");
}

}  // namespace
}  // namespace gatehouse::site
