// Shared by the access engine tests: times, cards, rows and sites as a person
// would describe them ("Alice's badge, facility 18 card 1001, Tuesday 10:00 in
// Newcastle").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "controller/access/engine.h"
#include "db/access_data.h"
#include "readers/wiegand.h"
#include "site/site.h"

namespace gatehouse::controller::access::testing {

// UTC civil time.
WallTime utc(int y, unsigned m, unsigned d, int h, int min, int s = 0);
// Civil time in Europe/London (the example site's zone); the time must exist and
// be unambiguous there.
WallTime london(int y, unsigned m, unsigned d, int h, int min, int s = 0);
WallTime plus_us(WallTime t, std::int64_t us);
WallTime plus_s(WallTime t, std::int64_t s);

// An H10301 (26-bit) read and the credential text the database stores for it.
readers::RawCard h10301(std::uint64_t facility, std::uint64_t card);
std::string h10301_key(std::uint64_t facility, std::uint64_t card);

db::PersonRow person(std::int64_t id, std::string name, std::vector<std::string> groups,
                     db::PersonKind kind = db::PersonKind::kEmployee);
db::BadgeRow badge(std::int64_t id, std::int64_t person_id, std::uint64_t facility,
                   std::uint64_t card, db::BadgeState state = db::BadgeState::kActive);

// docs/examples/site.toml through the site parser.
site::Site example_site();

// A hand-made site of one building: outside -> hall (hard anti-passback) -> lab
// (soft anti-passback, visitor escort) and hall -> vault (two-person); every door
// has an exit door back. Groups "staff" (hall, lab, exits), "vault" (vault) and
// "visitors" (hall, lab); schedule "always".
site::Site building_site();

// Decides at the door with this id; the request must be well-formed (fails the
// test otherwise and returns a default Decision).
Decision decide_at(Engine& engine, std::string_view door_id, const readers::RawCard& card,
                   WallTime at, std::optional<std::string> pin = std::nullopt);

}  // namespace gatehouse::controller::access::testing
