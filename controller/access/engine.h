// The access decision engine: one badge read at one door in, one Decision out,
// with exactly one reason from docs/decisions.md, checked in that document's order.
//
// The engine owns its Snapshot and the state that the stateful rules need:
//   - PIN failures and lockouts per badge (seeded from the badge rows; a correct
//     PIN resets the count; Site::pin_attempts wrong PINs lock the badge out for
//     Site::pin_lockout_minutes);
//   - the anti-passback location of each person (the to-area of their last grant);
//   - per area, the first badge of a pending two-person entry;
//   - per escort door, the last grants there, so a visitor's host can be found.
// It does no I/O: what must be persisted comes back in Decision::effects.
//
// Time: every rule uses the WallTime in the request, never a clock of its own:
// validity, schedules (in the site's zone), the PIN lockout and the two 10 s
// windows (two-person, escort). Those windows are about when people presented
// their badges, which the caller stamps as the reads arrive; a pair "within 10 s"
// means 0 <= later.at - earlier.at <= 10 s, so if stamps go backwards (a wall
// clock step) a pair does not form and the door stays shut.
//
// Thread safety: none, by design. The engine runs on the reactor; decide() takes
// no lock, throws nothing and allocates nothing on its common paths (the bad_format
// path allocates the decoder's error message; a PIN check allocates Argon2's 8 KiB).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "controller/access/decision.h"
#include "controller/access/snapshot.h"

namespace gatehouse::controller::access {

// How close in time two presentations must be to pair (two-person, escort).
inline constexpr std::int64_t kPairWindowUs = 10'000'000;

class Engine {
 public:
  explicit Engine(Snapshot snapshot);

  // kInvalidInput only when request.door is not a door of the snapshot; every
  // badge read, good or bad, gets a Decision.
  Result<Decision> decide(const DecisionRequest& request);

  // Anti-passback "forgive": clears the person's recorded location, so their next
  // entry anywhere is not a passback. False when the person is unknown.
  bool forgive(std::int64_t person_id);

  // For incremental updates (upsert_person, upsert_badge, set_lockdown, ...).
  Snapshot& snapshot() { return snap_; }
  const Snapshot& snapshot() const { return snap_; }

  // A new site or a full reload. Anti-passback locations move over by person id
  // and area id; pending two-person entries and the escort memory (10 s of state)
  // are dropped. PIN state comes from the new snapshot's badge rows.
  void replace_snapshot(Snapshot next);

 private:
  struct RecentGrant {
    std::int64_t person_id = 0;
    std::int64_t at_us = INT64_MIN;
  };
  // The last grants at one escort door; a visitor's host must be among them.
  struct EscortMemory {
    std::array<RecentGrant, 16> grants{};
    std::uint8_t next = 0;
  };
  struct PendingPair {
    std::uint32_t person = kNoRow;  // row of the first badge's holder
    std::int64_t person_id = 0;
    std::int64_t at_us = INT64_MIN;
  };

  void reset_transient_state();
  bool host_granted_recently(const DoorRec& door, DoorIndex index, std::int64_t host_id,
                             std::int64_t at_us) const;
  // The check of the levels: kNoAccess, kOutsideSchedule, or kGranted when one
  // of the person's levels includes the door and its schedule is open.
  Reason check_levels(const PersonRec& person, const DoorRec& door, WallTime at);
  Reason check_pin(BadgeRec& badge, const DecisionRequest& request, Decision& out);

  Snapshot snap_;
  std::vector<EscortMemory> escort_;  // per door (empty memory for doors without escort)
  std::vector<PendingPair> pending_;  // per area
};

}  // namespace gatehouse::controller::access
