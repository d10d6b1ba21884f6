#include "tests/controller/access/fixtures.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>

#include "site/parser.h"

namespace gatehouse::controller::access::testing {

WallTime utc(int y, unsigned m, unsigned d, int h, int min, int s) {
  auto day = date::sys_days{date::year{y} / date::month{m} / date::day{d}};
  auto t = day + std::chrono::hours{h} + std::chrono::minutes{min} + std::chrono::seconds{s};
  return WallTime{std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count()};
}

WallTime london(int y, unsigned m, unsigned d, int h, int min, int s) {
  auto day = date::local_days{date::year{y} / date::month{m} / date::day{d}};
  auto local = day + std::chrono::hours{h} + std::chrono::minutes{min} + std::chrono::seconds{s};
  auto zoned = date::make_zoned("Europe/London", local, date::choose::earliest);
  auto sys = zoned.get_sys_time();
  return WallTime{std::chrono::duration_cast<std::chrono::microseconds>(sys.time_since_epoch()).count()};
}

WallTime plus_us(WallTime t, std::int64_t us) { return WallTime{t.us + us}; }
WallTime plus_s(WallTime t, std::int64_t s) { return WallTime{t.us + s * 1'000'000}; }

readers::RawCard h10301(std::uint64_t facility, std::uint64_t card) {
  Result<readers::RawCard> r = readers::encode_card(readers::CardFormat::kH10301, facility, card);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : readers::RawCard{};
}

std::string h10301_key(std::uint64_t facility, std::uint64_t card) {
  Result<readers::CredentialKey> k = readers::credential_key(readers::CardFormat::kH10301, facility, card);
  EXPECT_TRUE(k.ok());
  return k.ok() ? readers::to_string(*k) : std::string();
}

db::PersonRow person(std::int64_t id, std::string name, std::vector<std::string> groups,
                     db::PersonKind kind) {
  db::PersonRow p;
  p.id = id;
  p.external_id = "P" + std::to_string(id);
  p.name = std::move(name);
  p.kind = kind;
  p.groups = std::move(groups);
  return p;
}

db::BadgeRow badge(std::int64_t id, std::int64_t person_id, std::uint64_t facility,
                   std::uint64_t card, db::BadgeState state) {
  db::BadgeRow b;
  b.id = id;
  b.person_id = person_id;
  b.credential = h10301_key(facility, card);
  b.state = state;
  return b;
}

site::Site example_site() {
  site::ParseOutcome out =
      site::parse_site_file(std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml");
  EXPECT_TRUE(out.site.has_value()) << (out.problems.empty() ? "" : out.problems[0].message);
  return out.site ? *out.site : site::Site{};
}

site::Site building_site() {
  using namespace site;
  Site s;
  s.name = "Lab building";
  s.timezone = "Europe/London";
  Schedule always;
  always.id = "always";
  for (int day = 0; day <= kHolidayDay; ++day) always.weekly[day] = {{0, 1440}};
  s.schedules = {always};
  s.areas = {
      {"outside", "", {}, false, AntiPassback::kNone},
      {"hall", "", {}, false, AntiPassback::kHard},
      {"lab", "", {}, false, AntiPassback::kSoft},
      {"vault", "", {"vault"}, true, AntiPassback::kNone},
  };
  s.groups = {{"staff", ""}, {"vault", ""}, {"visitors", ""}};
  s.access_levels = {
      {"staff", "", {"staff"}, {"hall-in", "hall-out", "lab-in", "lab-out", "vault-out"}, "always"},
      {"vault", "", {"vault"}, {"vault-in"}, "always"},
      {"visitors", "", {"visitors"}, {"hall-in", "hall-out", "lab-in", "lab-out"}, "always"},
  };
  struct D {
    const char* id;
    const char* from;
    const char* to;
    bool escort;
  };
  for (D d : {D{"hall-in", "outside", "hall", false}, D{"hall-out", "hall", "outside", false},
              D{"lab-in", "hall", "lab", true}, D{"lab-out", "lab", "hall", false},
              D{"vault-in", "hall", "vault", false}, D{"vault-out", "vault", "hall", false}}) {
    Reader r;
    r.id = std::string("r-") + d.id;
    r.osdp = "tcp://127.0.0.1:4001";
    s.readers.push_back(r);
    Door door;
    door.id = d.id;
    door.from_area = d.from;
    door.to_area = d.to;
    door.reader = r.id;
    door.visitor_escort = d.escort;
    s.doors.push_back(door);
  }
  return s;
}

Decision decide_at(Engine& engine, std::string_view door_id, const readers::RawCard& card,
                   WallTime at, std::optional<std::string> pin) {
  std::optional<DoorIndex> door = engine.snapshot().find_door(door_id);
  EXPECT_TRUE(door.has_value()) << door_id;
  if (!door) return Decision{};
  DecisionRequest request;
  request.door = *door;
  request.card = card;
  request.pin = std::move(pin);
  request.at = at;
  Result<Decision> d = engine.decide(request);
  EXPECT_TRUE(d.ok()) << d.error().to_string();
  return d.ok() ? d.value() : Decision{};
}

}  // namespace gatehouse::controller::access::testing
