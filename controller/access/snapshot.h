// The decision engine's in-memory picture of the site and its badges: everything a
// decision needs, indexed so that a decision is a handful of array reads.
//
// Built from the site model and the database rows (db/access_data.h) at start and
// after a site change, then kept current row by row as LISTEN/NOTIFY reports
// changes (upsert_person, remove_person, upsert_badge, remove_badge,
// set_lockdown). Doors, areas, groups, levels and schedules are fixed for the
// life of a snapshot: a site change builds a new one (Engine::replace_snapshot).
//
// Memory (the target is at most 300 bytes per credential, person data included,
// at a million credentials; docs/performance.md has the measured figure): a badge
// is one 64-byte row, a person one 32-byte row plus 2 bytes per group in a shared
// pool, and the three id indexes are flat tables of 8-byte slots at 35-70 % load.
// PIN hashes are kept only for badges that have a PIN.
//
// Thread safety: none. The snapshot belongs to one Engine, on the reactor; build
// one on another thread and move it over if the build is too slow for the reactor.
// Lifetime: plain value, movable; nothing points into it from outside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "controller/access/decision.h"
#include "controller/access/flat_index.h"
#include "controller/schedule.h"
#include "db/access_data.h"
#include "readers/wiegand.h"
#include "site/site.h"

namespace gatehouse::controller::access {

inline constexpr std::uint32_t kNoRow = 0xFFFFFFFFU;
inline constexpr std::uint16_t kNoArea = 0xFFFFU;
inline constexpr std::uint16_t kNoGroup = 0xFFFFU;

// What a build skipped. Rows are skipped (and counted here) rather than failing
// the whole build: one bad row must not keep every door of a site shut.
struct BuildReport {
  std::size_t people = 0;                     // loaded
  std::size_t badges = 0;                     // loaded
  std::size_t badges_without_person = 0;      // skipped: person_id names no loaded person
  std::size_t badges_bad_credential = 0;      // skipped: credential text parse_credential_key refuses
  std::size_t unknown_group_memberships = 0;  // ignored: group ids the site does not define
};

// One row per badge; 64 bytes. key_bits == 0 marks a free row.
struct BadgeRec {
  std::uint64_t key_hi = 0;
  std::uint64_t key_lo = 0;
  std::int64_t id = 0;
  std::int64_t valid_from_us = INT64_MIN;    // INT64_MIN: no lower bound
  std::int64_t valid_until_us = INT64_MAX;   // INT64_MAX: no upper bound (inclusive)
  std::int64_t pin_locked_until_us = INT64_MIN;  // engine state, seeded from the row
  std::uint32_t person = kNoRow;             // row in people
  std::uint32_t next_of_person = kNoRow;     // the person's next badge (a singly linked list)
  std::uint32_t pin = kNoRow;                // row in pin_hashes; kNoRow: no PIN set
  std::uint16_t key_bits = 0;
  std::uint8_t state = 0;                    // db::BadgeState, narrowed to keep the row at 64 bytes
  std::uint8_t pin_failures = 0;             // engine state, seeded from the row (saturates at 255)

  db::BadgeState badge_state() const { return static_cast<db::BadgeState>(state); }

  readers::CredentialKey key() const {
    readers::CredentialKey k;
    k.bit_count = key_bits;
    k.payload = {key_hi, key_lo};
    return k;
  }
};
static_assert(sizeof(BadgeRec) == 64);

// One row per person; 32 bytes. live == false marks a free row.
struct PersonRec {
  std::int64_t id = 0;
  std::int64_t host_id = 0;          // visitors: the host's person id; 0 = none
  std::uint32_t first_badge = kNoRow;
  std::uint32_t groups_begin = 0;    // group indexes, sorted, in Snapshot::group_pool
  std::uint16_t groups_count = 0;
  std::uint8_t kind = 0;             // db::PersonKind, narrowed to keep the row at 32 bytes
  bool active = false;
  bool live = false;
  // Engine state: the area anti-passback last recorded this person in (kNoArea:
  // none). Kept here for locality; only the Engine writes it, and upsert_person
  // leaves it alone.
  std::uint16_t location = kNoArea;
};
static_assert(sizeof(PersonRec) == 32);

inline bool is_visitor(const PersonRec& p) {
  return p.kind == static_cast<std::uint8_t>(db::PersonKind::kVisitor);
}

// A level's reach: this group may use the door while this schedule is open.
struct Grant {
  std::uint16_t group = 0;
  std::uint16_t schedule = 0;
};

struct DoorRec {
  std::string id;
  std::string reader;
  std::uint16_t from_area = kNoArea;
  std::uint16_t to_area = kNoArea;
  site::DoorMode mode = site::DoorMode::kCard;
  bool visitor_escort = false;
  bool locked = false;                   // an operator locked the door (door mode "locked")
  std::uint16_t locked_group = kNoGroup;  // who still passes; kNoGroup: nobody
  std::uint32_t grants_begin = 0;  // [grants_begin, grants_end) in Snapshot::grants, sorted by group
  std::uint32_t grants_end = 0;
};

struct AreaRec {
  std::string id;
  site::AntiPassback anti_passback = site::AntiPassback::kNone;
  bool two_person = false;
  bool restricted = false;
  std::uint32_t allowed_begin = 0;  // restricted: group_words words in Snapshot::allowed_bits
};

class Snapshot {
 public:
  // kInvalidInput when the inputs contradict each other: a site reference to
  // something it does not define (a hand-built Site skips the parser's checks),
  // an unknown time zone, a door or reader id longer than 64 characters, more than
  // 65,534 groups, areas or schedules, two people or two badges with one id, or
  // two badges with one credential. Rows that are merely unusable are skipped and
  // counted in `report`.
  static Result<Snapshot> build(const site::Site& site, const db::AccessData& data,
                                BuildReport* report = nullptr);

  // Incremental updates, as the database reports changes. They run on the reactor
  // between decisions; each is O(1) apart from remove_person (O(its badges)).
  //
  // Adds or replaces a person by id. Groups the site does not define are ignored
  // (unknown_group_memberships() counts them). The person's badges, and the
  // anti-passback location, are kept.
  Status upsert_person(const db::PersonRow& row);
  // Removes the person and every badge of theirs; false when there was no such person.
  bool remove_person(std::int64_t person_id);
  // Adds or replaces a badge by id. kNotFound when its person is not in the
  // snapshot and kInvalidInput when its credential text is malformed: in both
  // cases any older version of the badge is removed, so it opens nothing. kConflict
  // when another badge holds the credential: nothing changes.
  Status upsert_badge(const db::BadgeRow& row);
  // false when there was no such badge.
  bool remove_badge(std::int64_t badge_id);
  // An allowed group the site does not define lets nobody through.
  void set_lockdown(const db::LockdownRow& row);
  // Door mode "locked": only `allowed_group` passes (nullopt or a group the site
  // does not define: nobody). kNotFound for a door the snapshot does not have.
  Status set_door_locked(std::string_view door_id, bool locked,
                         const std::optional<std::string>& allowed_group);

  std::optional<DoorIndex> find_door(std::string_view door_id) const;
  std::optional<DoorIndex> find_door_by_reader(std::string_view reader_id) const;

  std::size_t door_count() const { return doors_.size(); }
  std::size_t badge_count() const { return badge_index_.size(); }
  std::size_t person_count() const { return person_index_.size(); }
  std::size_t unknown_group_memberships() const { return unknown_group_memberships_; }
  const db::LockdownRow& lockdown() const { return lockdown_row_; }
  const std::string& time_zone() const { return time_zone_; }

  // Bytes held by the snapshot's structures, counted by capacity (vectors, index
  // tables, PIN hash strings; the site tables as an estimate). Allocator overhead
  // is not included.
  std::size_t memory_bytes() const;

  // Read access for the engine and for tests.
  const DoorRec& door(DoorIndex i) const { return doors_[i]; }
  const AreaRec& area(std::uint16_t i) const { return areas_[i]; }
  std::uint32_t find_badge_row(const readers::CredentialKey& key) const;
  std::uint32_t find_person_row(std::int64_t person_id) const;
  std::uint32_t find_badge_row_by_id(std::int64_t badge_id) const;

 private:
  friend class Engine;

  Snapshot() = default;

  Status load_site(const site::Site& site);
  std::uint32_t add_person_row();
  void set_groups(PersonRec& p, const std::vector<std::string>& groups);
  void compact_group_pool();
  void link_badge(std::uint32_t row, std::uint32_t person);
  void unlink_badge(std::uint32_t row);
  void erase_badge_row(std::uint32_t row);
  void set_pin_hash(BadgeRec& b, const std::string& hash);
  void fill_badge(BadgeRec& b, const db::BadgeRow& row);
  bool in_group(const PersonRec& p, std::uint16_t group) const;

  std::uint64_t badge_key_hash(std::uint32_t row) const { return badges_[row].key().hash(); }
  std::uint64_t badge_id_hash(std::uint32_t row) const {
    return mix64(static_cast<std::uint64_t>(badges_[row].id));
  }
  std::uint64_t person_id_hash(std::uint32_t row) const {
    return mix64(static_cast<std::uint64_t>(people_[row].id));
  }

  // Site: fixed for the life of the snapshot.
  std::string time_zone_;
  std::optional<LocalTimeCache> local_time_;  // always set once built
  int pin_attempts_ = 5;
  std::int64_t pin_lockout_us_ = 15 * 60 * 1'000'000LL;
  std::map<std::string, std::uint16_t, std::less<>> group_by_id_;
  std::vector<CompiledSchedule> schedules_;
  std::vector<AreaRec> areas_;
  std::size_t group_words_ = 0;             // 64-bit words per allowed-group bitset
  std::vector<std::uint64_t> allowed_bits_;
  std::vector<DoorRec> doors_;
  std::vector<Grant> grants_;
  std::map<std::string, DoorIndex, std::less<>> door_by_id_;
  std::map<std::string, DoorIndex, std::less<>> door_by_reader_;

  // Rows.
  std::vector<PersonRec> people_;
  std::vector<std::uint32_t> free_people_;
  std::vector<std::uint16_t> group_pool_;
  std::size_t group_pool_garbage_ = 0;
  std::vector<BadgeRec> badges_;
  std::vector<std::uint32_t> free_badges_;
  std::vector<std::string> pin_hashes_;
  std::vector<std::uint32_t> free_pins_;
  FlatIndex badge_index_;   // credential key -> badge row
  FlatIndex badge_by_id_;   // badge id -> badge row
  FlatIndex person_index_;  // person id -> person row
  std::size_t unknown_group_memberships_ = 0;

  // Lockdown.
  db::LockdownRow lockdown_row_;
  bool lockdown_active_ = false;
  std::uint16_t lockdown_group_ = kNoGroup;
};

}  // namespace gatehouse::controller::access
