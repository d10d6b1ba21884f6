#include "controller/access/snapshot.h"

#include <algorithm>
#include <utility>

namespace gatehouse::controller::access {
namespace {

// Door and reader ids travel in every Decision as fixed-size text (no allocation
// per decision); the site parser enforces the same limit.
constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxIndexed = 0xFFFE;  // 0xFFFF is kNoArea / kNoGroup

Error invalid(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}

template <typename Map>
std::optional<std::uint16_t> lookup16(const Map& map, std::string_view id) {
  auto it = map.find(id);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

}  // namespace

Status Snapshot::load_site(const site::Site& site) {
  time_zone_ = site.timezone;
  Result<LocalTimeCache> tz = LocalTimeCache::for_zone(site.timezone);
  if (!tz.ok()) return tz.error();
  local_time_.emplace(std::move(tz.value()));
  pin_attempts_ = std::clamp(site.pin_attempts, 1, 255);
  pin_lockout_us_ = std::int64_t{std::max(site.pin_lockout_minutes, 0)} * 60 * 1'000'000;

  if (site.groups.size() > kMaxIndexed || site.areas.size() > kMaxIndexed ||
      site.schedules.size() > kMaxIndexed) {
    return invalid("a snapshot holds at most 65,534 groups, areas and schedules each");
  }
  for (const site::Group& g : site.groups) {
    if (!group_by_id_.emplace(g.id, static_cast<std::uint16_t>(group_by_id_.size())).second) {
      return invalid("group '" + g.id + "' is defined twice");
    }
  }
  group_words_ = (group_by_id_.size() + 63) / 64;

  std::map<std::string, std::uint16_t, std::less<>> schedule_by_id;
  for (const site::Schedule& s : site.schedules) {
    if (!schedule_by_id.emplace(s.id, static_cast<std::uint16_t>(schedules_.size())).second) {
      return invalid("schedule '" + s.id + "' is defined twice");
    }
    schedules_.emplace_back(s);
  }

  std::map<std::string, std::uint16_t, std::less<>> area_by_id;
  for (const site::Area& a : site.areas) {
    if (!area_by_id.emplace(a.id, static_cast<std::uint16_t>(areas_.size())).second) {
      return invalid("area '" + a.id + "' is defined twice");
    }
    AreaRec rec;
    rec.id = a.id;
    rec.anti_passback = a.anti_passback;
    rec.two_person = a.two_person;
    rec.restricted = !a.restricted_to.empty();
    if (rec.restricted) {
      rec.allowed_begin = static_cast<std::uint32_t>(allowed_bits_.size());
      allowed_bits_.resize(allowed_bits_.size() + group_words_, 0);
      for (const std::string& g : a.restricted_to) {
        std::optional<std::uint16_t> gi = lookup16(group_by_id_, g);
        if (!gi) return invalid("area '" + a.id + "' is restricted to unknown group '" + g + "'");
        allowed_bits_[rec.allowed_begin + *gi / 64] |= std::uint64_t{1} << (*gi % 64);
      }
    }
    areas_.push_back(std::move(rec));
  }

  std::map<std::string, bool, std::less<>> reader_ids;
  for (const site::Reader& r : site.readers) reader_ids.emplace(r.id, true);

  for (const site::Door& d : site.doors) {
    if (d.id.empty() || d.id.size() > kMaxIdLength || d.reader.size() > kMaxIdLength) {
      return invalid("door '" + d.id + "': door and reader ids have 1 to 64 characters");
    }
    std::optional<std::uint16_t> from = lookup16(area_by_id, d.from_area);
    std::optional<std::uint16_t> to = lookup16(area_by_id, d.to_area);
    if (!from || !to) {
      return invalid("door '" + d.id + "' joins an unknown area ('" + d.from_area + "' -> '" +
                     d.to_area + "')");
    }
    if (reader_ids.find(d.reader) == reader_ids.end()) {
      return invalid("door '" + d.id + "' names unknown reader '" + d.reader + "'");
    }
    auto index = static_cast<DoorIndex>(doors_.size());
    if (!door_by_id_.emplace(d.id, index).second) return invalid("door '" + d.id + "' is defined twice");
    if (!door_by_reader_.emplace(d.reader, index).second) {
      return invalid("reader '" + d.reader + "' serves two doors");
    }
    DoorRec rec;
    rec.id = d.id;
    rec.reader = d.reader;
    rec.from_area = *from;
    rec.to_area = *to;
    rec.mode = d.mode;
    rec.visitor_escort = d.visitor_escort;
    doors_.push_back(std::move(rec));
  }

  // Levels, turned around: per door, the (group, schedule) pairs that open it.
  std::vector<std::vector<Grant>> per_door(doors_.size());
  for (const site::AccessLevel& level : site.access_levels) {
    std::optional<std::uint16_t> schedule = lookup16(schedule_by_id, level.schedule);
    if (!schedule) {
      return invalid("access level '" + level.id + "' names unknown schedule '" + level.schedule + "'");
    }
    std::vector<std::uint16_t> groups;
    for (const std::string& g : level.groups) {
      std::optional<std::uint16_t> gi = lookup16(group_by_id_, g);
      if (!gi) return invalid("access level '" + level.id + "' names unknown group '" + g + "'");
      groups.push_back(*gi);
    }
    for (const std::string& door_id : level.doors) {
      auto it = door_by_id_.find(door_id);
      if (it == door_by_id_.end()) {
        return invalid("access level '" + level.id + "' names unknown door '" + door_id + "'");
      }
      for (std::uint16_t g : groups) per_door[it->second].push_back(Grant{g, *schedule});
    }
  }
  for (std::size_t i = 0; i < doors_.size(); ++i) {
    std::vector<Grant>& list = per_door[i];
    auto order = [](const Grant& a, const Grant& b) {
      return a.group != b.group ? a.group < b.group : a.schedule < b.schedule;
    };
    std::sort(list.begin(), list.end(), order);
    list.erase(std::unique(list.begin(), list.end(),
                           [](const Grant& a, const Grant& b) {
                             return a.group == b.group && a.schedule == b.schedule;
                           }),
               list.end());
    doors_[i].grants_begin = static_cast<std::uint32_t>(grants_.size());
    grants_.insert(grants_.end(), list.begin(), list.end());
    doors_[i].grants_end = static_cast<std::uint32_t>(grants_.size());
  }
  grants_.shrink_to_fit();
  return Status();
}

Result<Snapshot> Snapshot::build(const site::Site& site, const db::AccessData& data,
                                 BuildReport* report) {
  Snapshot snap;
  Status loaded = snap.load_site(site);
  if (!loaded.ok()) return loaded.error();

  BuildReport local_report;
  BuildReport& rep = report != nullptr ? *report : local_report;
  rep = BuildReport{};

  snap.people_.reserve(data.people.size());
  snap.person_index_.reserve(data.people.size(), [&](std::uint32_t r) { return snap.person_id_hash(r); });
  for (const db::PersonRow& row : data.people) {
    if (snap.find_person_row(row.id) != kNoRow) {
      return invalid("person " + std::to_string(row.id) + " appears twice");
    }
    Status s = snap.upsert_person(row);
    if (!s.ok()) return s.error();
  }
  rep.people = snap.person_count();
  rep.unknown_group_memberships = snap.unknown_group_memberships_;

  snap.badges_.reserve(data.badges.size());
  auto key_hash = [&](std::uint32_t r) { return snap.badge_key_hash(r); };
  auto id_hash = [&](std::uint32_t r) { return snap.badge_id_hash(r); };
  snap.badge_index_.reserve(data.badges.size(), key_hash);
  snap.badge_by_id_.reserve(data.badges.size(), id_hash);
  for (const db::BadgeRow& row : data.badges) {
    if (snap.find_badge_row_by_id(row.id) != kNoRow) {
      return invalid("badge " + std::to_string(row.id) + " appears twice");
    }
    Status s = snap.upsert_badge(row);
    if (s.ok()) continue;
    switch (s.error().kind) {
      case ErrorKind::kNotFound: ++rep.badges_without_person; break;
      case ErrorKind::kInvalidInput: ++rep.badges_bad_credential; break;
      default:
        return invalid("badge " + std::to_string(row.id) + ": " + s.error().message);
    }
  }
  rep.badges = snap.badge_count();
  snap.set_lockdown(data.lockdown);
  return snap;
}

// ---- lookups ----

std::uint32_t Snapshot::find_badge_row(const readers::CredentialKey& key) const {
  return badge_index_.find(key.hash(), [&](std::uint32_t r) {
    const BadgeRec& b = badges_[r];
    return b.key_lo == key.payload[1] && b.key_hi == key.payload[0] && b.key_bits == key.bit_count;
  });
}

std::uint32_t Snapshot::find_person_row(std::int64_t person_id) const {
  return person_index_.find(mix64(static_cast<std::uint64_t>(person_id)),
                            [&](std::uint32_t r) { return people_[r].id == person_id; });
}

std::uint32_t Snapshot::find_badge_row_by_id(std::int64_t badge_id) const {
  return badge_by_id_.find(mix64(static_cast<std::uint64_t>(badge_id)),
                           [&](std::uint32_t r) { return badges_[r].id == badge_id; });
}

std::optional<DoorIndex> Snapshot::find_door(std::string_view door_id) const {
  auto it = door_by_id_.find(door_id);
  if (it == door_by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<DoorIndex> Snapshot::find_door_by_reader(std::string_view reader_id) const {
  auto it = door_by_reader_.find(reader_id);
  if (it == door_by_reader_.end()) return std::nullopt;
  return it->second;
}

bool Snapshot::in_group(const PersonRec& p, std::uint16_t group) const {
  const std::uint16_t* begin = group_pool_.data() + p.groups_begin;
  const std::uint16_t* end = begin + p.groups_count;
  return std::binary_search(begin, end, group);
}

// ---- people ----

std::uint32_t Snapshot::add_person_row() {
  if (!free_people_.empty()) {
    std::uint32_t row = free_people_.back();
    free_people_.pop_back();
    return row;
  }
  people_.emplace_back();
  return static_cast<std::uint32_t>(people_.size() - 1);
}

void Snapshot::set_groups(PersonRec& p, const std::vector<std::string>& groups) {
  std::vector<std::uint16_t> indexes;
  indexes.reserve(groups.size() + 1);
  // Visitors belong to no group of their own (the database refuses it); the site's
  // reserved group `visitors`, when it defines one, is theirs implicitly.
  if (is_visitor(p)) {
    if (auto gi = lookup16(group_by_id_, site::kVisitorsGroup)) indexes.push_back(*gi);
  }
  for (const std::string& g : groups) {
    std::optional<std::uint16_t> gi = lookup16(group_by_id_, g);
    if (gi) {
      indexes.push_back(*gi);
    } else {
      ++unknown_group_memberships_;
    }
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());

  if (indexes.size() <= p.groups_count) {
    std::copy(indexes.begin(), indexes.end(), group_pool_.begin() + p.groups_begin);
    group_pool_garbage_ += p.groups_count - indexes.size();
  } else {
    group_pool_garbage_ += p.groups_count;
    p.groups_begin = static_cast<std::uint32_t>(group_pool_.size());
    group_pool_.insert(group_pool_.end(), indexes.begin(), indexes.end());
  }
  p.groups_count = static_cast<std::uint16_t>(std::min<std::size_t>(indexes.size(), 0xFFFF));
  if (group_pool_garbage_ > 4096 && group_pool_garbage_ * 2 > group_pool_.size()) compact_group_pool();
}

void Snapshot::compact_group_pool() {
  std::vector<std::uint16_t> pool;
  pool.reserve(group_pool_.size() - group_pool_garbage_);
  for (PersonRec& p : people_) {
    if (!p.live) continue;
    auto begin = group_pool_.begin() + p.groups_begin;
    std::uint32_t at = static_cast<std::uint32_t>(pool.size());
    pool.insert(pool.end(), begin, begin + p.groups_count);
    p.groups_begin = at;
  }
  group_pool_.swap(pool);
  group_pool_garbage_ = 0;
}

Status Snapshot::upsert_person(const db::PersonRow& row) {
  std::uint32_t r = find_person_row(row.id);
  bool fresh = r == kNoRow;
  if (fresh) {
    r = add_person_row();
    PersonRec& p = people_[r];
    p = PersonRec{};
    p.id = row.id;
    p.live = true;
  }
  PersonRec& p = people_[r];
  p.kind = static_cast<std::uint8_t>(row.kind);
  p.active = row.active;
  p.host_id = row.host_person_id.value_or(0);
  set_groups(people_[r], row.groups);
  if (fresh) person_index_.insert(mix64(static_cast<std::uint64_t>(row.id)), r,
                                  [&](std::uint32_t x) { return person_id_hash(x); });
  return Status();
}

bool Snapshot::remove_person(std::int64_t person_id) {
  std::uint32_t r = find_person_row(person_id);
  if (r == kNoRow) return false;
  while (people_[r].first_badge != kNoRow) erase_badge_row(people_[r].first_badge);
  PersonRec& p = people_[r];
  person_index_.erase(mix64(static_cast<std::uint64_t>(person_id)), r,
                      [&](std::uint32_t x) { return person_id_hash(x); });
  group_pool_garbage_ += p.groups_count;
  p = PersonRec{};
  free_people_.push_back(r);
  return true;
}

// ---- badges ----

void Snapshot::link_badge(std::uint32_t row, std::uint32_t person) {
  BadgeRec& b = badges_[row];
  b.person = person;
  b.next_of_person = people_[person].first_badge;
  people_[person].first_badge = row;
}

void Snapshot::unlink_badge(std::uint32_t row) {
  BadgeRec& b = badges_[row];
  if (b.person == kNoRow) return;
  std::uint32_t* link = &people_[b.person].first_badge;
  while (*link != kNoRow && *link != row) link = &badges_[*link].next_of_person;
  if (*link == row) *link = b.next_of_person;
  b.person = kNoRow;
  b.next_of_person = kNoRow;
}

void Snapshot::set_pin_hash(BadgeRec& b, const std::string& hash) {
  if (hash.empty()) {
    if (b.pin != kNoRow) {
      pin_hashes_[b.pin] = std::string();
      free_pins_.push_back(b.pin);
      b.pin = kNoRow;
    }
    return;
  }
  if (b.pin == kNoRow) {
    if (!free_pins_.empty()) {
      b.pin = free_pins_.back();
      free_pins_.pop_back();
    } else {
      b.pin = static_cast<std::uint32_t>(pin_hashes_.size());
      pin_hashes_.emplace_back();
    }
  }
  pin_hashes_[b.pin] = hash;
}

void Snapshot::erase_badge_row(std::uint32_t row) {
  unlink_badge(row);
  badge_index_.erase(badge_key_hash(row), row, [&](std::uint32_t x) { return badge_key_hash(x); });
  badge_by_id_.erase(badge_id_hash(row), row, [&](std::uint32_t x) { return badge_id_hash(x); });
  set_pin_hash(badges_[row], std::string());
  badges_[row] = BadgeRec{};
  free_badges_.push_back(row);
}

void Snapshot::fill_badge(BadgeRec& b, const db::BadgeRow& row) {
  b.id = row.id;
  b.state = static_cast<std::uint8_t>(row.state);
  b.valid_from_us = row.valid_from ? row.valid_from->us : INT64_MIN;
  b.valid_until_us = row.valid_until ? row.valid_until->us : INT64_MAX;
  b.pin_failures = static_cast<std::uint8_t>(std::clamp(row.pin_failures, 0, 255));
  b.pin_locked_until_us = row.pin_locked_until ? row.pin_locked_until->us : INT64_MIN;
  set_pin_hash(b, row.pin_hash);
}

Status Snapshot::upsert_badge(const db::BadgeRow& row) {
  std::uint32_t existing = find_badge_row_by_id(row.id);
  Result<readers::CredentialKey> key = readers::parse_credential_key(row.credential);
  std::uint32_t person = find_person_row(row.person_id);
  if (!key.ok() || person == kNoRow) {
    // Whatever the badge was before, it must not open doors now.
    if (existing != kNoRow) erase_badge_row(existing);
    if (!key.ok()) return invalid("badge " + std::to_string(row.id) + ": " + key.error().message);
    return make_error(ErrorKind::kNotFound, "badge " + std::to_string(row.id) + ": person " +
                                                std::to_string(row.person_id) +
                                                " is not in the snapshot");
  }
  std::uint32_t holder = find_badge_row(*key);
  if (holder != kNoRow && holder != existing) {
    return make_error(ErrorKind::kConflict, "badge " + std::to_string(row.id) + ": credential " +
                                                row.credential + " belongs to badge " +
                                                std::to_string(badges_[holder].id));
  }

  auto key_hash = [&](std::uint32_t x) { return badge_key_hash(x); };
  std::uint32_t r = existing;
  if (r == kNoRow) {
    if (!free_badges_.empty()) {
      r = free_badges_.back();
      free_badges_.pop_back();
    } else {
      r = static_cast<std::uint32_t>(badges_.size());
      badges_.emplace_back();
    }
    fill_badge(badges_[r], row);
    badge_by_id_.insert(badge_id_hash(r), r, [&](std::uint32_t x) { return badge_id_hash(x); });
  } else {
    if (holder != existing) {  // the credential changed
      badge_index_.erase(badge_key_hash(r), r, key_hash);
    }
    if (badges_[r].person != person) unlink_badge(r);
    fill_badge(badges_[r], row);
  }
  BadgeRec& b = badges_[r];
  if (holder != existing || existing == kNoRow) {
    b.key_bits = key->bit_count;
    b.key_hi = key->payload[0];
    b.key_lo = key->payload[1];
    badge_index_.insert(key->hash(), r, key_hash);
  }
  if (b.person != person) link_badge(r, person);
  return Status();
}

bool Snapshot::remove_badge(std::int64_t badge_id) {
  std::uint32_t r = find_badge_row_by_id(badge_id);
  if (r == kNoRow) return false;
  erase_badge_row(r);
  return true;
}

Status Snapshot::set_door_locked(std::string_view door_id, bool locked,
                                 const std::optional<std::string>& allowed_group) {
  std::optional<DoorIndex> index = find_door(door_id);
  if (!index) return make_error(ErrorKind::kNotFound, "no door '" + std::string(door_id) + "'");
  DoorRec& door = doors_[*index];
  door.locked = locked;
  door.locked_group = locked && allowed_group
                          ? lookup16(group_by_id_, *allowed_group).value_or(kNoGroup)
                          : kNoGroup;
  return Status();
}

void Snapshot::set_lockdown(const db::LockdownRow& row) {
  lockdown_row_ = row;
  lockdown_active_ = row.active;
  lockdown_group_ = lookup16(group_by_id_, row.allowed_group).value_or(kNoGroup);
}

std::size_t Snapshot::memory_bytes() const {
  std::size_t n = sizeof(*this);
  n += people_.capacity() * sizeof(PersonRec) + free_people_.capacity() * sizeof(std::uint32_t);
  n += group_pool_.capacity() * sizeof(std::uint16_t);
  n += badges_.capacity() * sizeof(BadgeRec) + free_badges_.capacity() * sizeof(std::uint32_t);
  n += pin_hashes_.capacity() * sizeof(std::string) + free_pins_.capacity() * sizeof(std::uint32_t);
  for (const std::string& h : pin_hashes_) {
    if (h.capacity() > 15) n += h.capacity() + 1;  // beyond the small-string buffer
  }
  n += badge_index_.memory_bytes() + badge_by_id_.memory_bytes() + person_index_.memory_bytes();
  // Site tables: small next to the rows; map nodes estimated at 64 bytes plus key.
  for (const CompiledSchedule& s : schedules_) n += sizeof(s) + s.id().capacity();
  n += areas_.capacity() * sizeof(AreaRec) + allowed_bits_.capacity() * sizeof(std::uint64_t);
  n += doors_.capacity() * sizeof(DoorRec) + grants_.capacity() * sizeof(Grant);
  n += (group_by_id_.size() + door_by_id_.size() + door_by_reader_.size()) * (64 + sizeof(std::string));
  return n;
}

}  // namespace gatehouse::controller::access
