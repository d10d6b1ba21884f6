// ./bench.sh decide: the access decision engine at the size of a large campus.
//
// 1,000,000 credentials (H10301 and Corporate 1000 48-bit, half each) on 900,000
// people in 1-5 groups each, 2,000 doors, 5,000 access levels over 500 groups,
// a dozen realistic schedules. Measures the snapshot build, the snapshot's memory,
// and the latency of single decisions, each timed on its own with steady_clock,
// next to the floor: a bare std::unordered_map lookup of the same keys, timed the
// same way. docs/performance.md ("decide") explains each figure.
//
// Output: '#' lines describe the run; the metric=value lines come last, with the
// headline decide_p99_us last of all.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/access/engine.h"
#include "controller/access/pin.h"
#include "readers/wiegand.h"

namespace {

using namespace gatehouse;
using namespace gatehouse::controller::access;
using Steady = std::chrono::steady_clock;

constexpr int kCredentials = 1'000'000;
constexpr int kPeople = 900'000;
constexpr int kGroups = 500;
constexpr int kAreas = 300;
constexpr int kDoors = 2'000;
constexpr int kLevels = 5'000;
constexpr int kDecisions = 1'000'000;
constexpr int kWarmup = 100'000;
constexpr const char* kPin = "4711";

std::mt19937_64 rng(20260303);

int uniform(int lo, int hi) {  // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
bool chance(double p) { return std::bernoulli_distribution(p)(rng); }

// prefix + number, built by appending (GCC 12 warns, wrongly, about
// "literal" + std::to_string(...) at -O2: -Wrestrict).
std::string id_of(const char* prefix, long long n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

site::Schedule schedule(std::string id, std::initializer_list<std::pair<std::vector<int>, std::vector<site::Interval>>> days,
                        std::vector<std::string> holidays = {}) {
  site::Schedule s;
  s.id = std::move(id);
  for (const auto& [which, intervals] : days) {
    for (int d : which) s.weekly[d] = intervals;
  }
  s.holidays = std::move(holidays);
  return s;
}

site::Site make_site() {
  using site::Interval;
  const std::vector<int> weekdays = {0, 1, 2, 3, 4}, all = {0, 1, 2, 3, 4, 5, 6}, weekend = {5, 6};
  const std::vector<std::string> holidays = {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                                             "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"};
  site::Site s;
  s.name = "Campus";
  s.timezone = "Europe/London";
  s.schedules = {
      schedule("always", {{all, {{0, 1440}}}, {{site::kHolidayDay}, {{0, 1440}}}}),
      schedule("business-hours", {{weekdays, {{420, 1170}}}, {{5}, {{480, 780}}}}, holidays),
      schedule("office", {{weekdays, {{480, 1080}}}}, holidays),
      schedule("early-shift", {{all, {{330, 870}}}}),
      schedule("late-shift", {{all, {{810, 1350}}}}),
      schedule("night-shift", {{all, {{0, 390}, {1290, 1440}}}}),
      schedule("weekend", {{weekend, {{480, 1200}}}}),
      schedule("lunch", {{weekdays, {{690, 840}}}}),
      schedule("cleaners", {{weekdays, {{1080, 1320}}}, {{5}, {{360, 600}}}}),
      schedule("deliveries", {{weekdays, {{360, 660}}}}, holidays),
      schedule("maintenance", {{{2}, {{0, 240}}}}),
      schedule("extended", {{weekdays, {{360, 1320}}}, {weekend, {{480, 1080}}}}, holidays),
  };
  s.areas.push_back({"outside", "", {}, false, site::AntiPassback::kNone});
  for (int g = 0; g < kGroups; ++g) s.groups.push_back({id_of("g", g), ""});
  for (int a = 1; a < kAreas; ++a) {
    site::Area area;
    area.id = id_of("a", a);
    if (a % 20 == 0) {  // 5 % restricted to two or three groups
      for (int k = uniform(2, 3); k > 0; --k) area.restricted_to.push_back(id_of("g", uniform(0, kGroups - 1)));
      std::sort(area.restricted_to.begin(), area.restricted_to.end());
      area.restricted_to.erase(std::unique(area.restricted_to.begin(), area.restricted_to.end()), area.restricted_to.end());
    }
    area.two_person = a % 50 == 0;
    area.anti_passback = a % 10 == 1 ? site::AntiPassback::kSoft
                         : a % 10 == 2 ? site::AntiPassback::kHard
                                       : site::AntiPassback::kNone;
    s.areas.push_back(area);
  }
  std::vector<std::string> open_doors;
  std::vector<std::pair<std::string, std::vector<std::string>>> restricted_doors;  // door, allowed groups
  for (int d = 0; d < kDoors; ++d) {
    site::Reader r;
    r.id = id_of("r", d);
    r.osdp = "tcp://127.0.0.1:4001";
    r.keypad = d % 100 == 7;
    s.readers.push_back(r);
    site::Door door;
    door.id = id_of("d", d);
    door.reader = r.id;
    int to = uniform(0, kAreas - 1);
    int from = uniform(0, kAreas - 1);
    if (from == to) from = (to + 1) % kAreas;
    door.from_area = s.areas[static_cast<std::size_t>(from)].id;
    door.to_area = s.areas[static_cast<std::size_t>(to)].id;
    door.mode = r.keypad ? site::DoorMode::kCardAndPin : site::DoorMode::kCard;  // 1 %
    const std::vector<std::string>& restricted = s.areas[static_cast<std::size_t>(to)].restricted_to;
    door.visitor_escort = restricted.empty() && d % 50 == 3;  // 2 %
    if (restricted.empty()) {
      open_doors.push_back(door.id);
    } else {
      restricted_doors.emplace_back(door.id, restricted);
    }
    s.doors.push_back(door);
  }
  // Levels as the site file would allow them: doors into a restricted area only
  // for its own groups.
  int id = 0;
  for (const auto& [door, groups] : restricted_doors) {
    s.access_levels.push_back({id_of("l", id++), "", groups, {door}, "always"});
  }
  while (id < kLevels) {
    site::AccessLevel level;
    level.id = id_of("l", id++);
    for (int k = uniform(1, 3); k > 0; --k) level.groups.push_back(id_of("g", uniform(0, kGroups - 1)));
    for (int k = uniform(2, 20); k > 0; --k) level.doors.push_back(open_doors[static_cast<std::size_t>(uniform(0, static_cast<int>(open_doors.size()) - 1))]);
    level.schedule = s.schedules[static_cast<std::size_t>(uniform(0, static_cast<int>(s.schedules.size()) - 1))].id;
    s.access_levels.push_back(level);
  }
  return s;
}

readers::CredentialKey key_for(int i, readers::RawCard* card) {
  // Even i: H10301, facility 1.., card 0..65535; odd i: C1000-48, company 1234..
  int n = i / 2;
  readers::CardFormat format = i % 2 == 0 ? readers::CardFormat::kH10301 : readers::CardFormat::kCorp1000_48;
  std::uint64_t facility = i % 2 == 0 ? 1 + static_cast<std::uint64_t>(n / 65536) : 1234 + static_cast<std::uint64_t>(n >> 23);
  std::uint64_t number = i % 2 == 0 ? static_cast<std::uint64_t>(n % 65536) : static_cast<std::uint64_t>(n & 0x7FFFFF);
  if (card != nullptr) *card = readers::encode_card(format, facility, number).value();
  return readers::credential_key(format, facility, number).value();
}

db::AccessData make_people(const std::string& pin_hash) {
  db::AccessData data;
  data.people.reserve(kPeople);
  for (int p = 0; p < kPeople; ++p) {
    db::PersonRow row;
    row.id = p + 1;
    row.external_id = id_of("E", p + 1);
    row.name = "Person " + std::to_string(p + 1);
    row.kind = chance(0.02) ? db::PersonKind::kVisitor : chance(0.05) ? db::PersonKind::kContractor
                                                                       : db::PersonKind::kEmployee;
    row.active = !chance(0.005);
    // 1-5 groups, mostly one or two.
    static const int weights[] = {40, 30, 15, 10, 5};
    int count = 1 + static_cast<int>(std::discrete_distribution<int>(std::begin(weights), std::end(weights))(rng));
    for (int k = 0; k < count; ++k) row.groups.push_back(id_of("g", uniform(0, kGroups - 1)));
    std::sort(row.groups.begin(), row.groups.end());
    row.groups.erase(std::unique(row.groups.begin(), row.groups.end()), row.groups.end());
    if (row.kind == db::PersonKind::kVisitor) row.host_person_id = uniform(1, kPeople);
    data.people.push_back(std::move(row));
  }
  const std::int64_t march = 1'772'323'200'000'000;  // 2026-03-01T00:00:00Z
  data.badges.reserve(kCredentials);
  for (int i = 0; i < kCredentials; ++i) {
    db::BadgeRow b;
    b.id = i + 1;
    b.person_id = i < kPeople ? i + 1 : uniform(1, kPeople);  // 100,000 people carry a second badge
    b.credential = readers::to_string(key_for(i, nullptr));
    double r = std::uniform_real_distribution<double>(0, 1)(rng);
    b.state = r < 0.02 ? db::BadgeState::kRevoked : r < 0.03 ? db::BadgeState::kSuspended
              : r < 0.035 ? db::BadgeState::kIssued : db::BadgeState::kActive;
    if (chance(0.05)) {  // temporary passes: a window somewhere in March
      b.visitor_pass = true;
      b.valid_from = WallTime{march + static_cast<std::int64_t>(uniform(0, 20)) * 86'400'000'000};
      b.valid_until = WallTime{b.valid_from->us + 10 * 86'400'000'000LL};
    }
    if (chance(0.10)) b.pin_hash = pin_hash;  // the same PIN's hash: hashing 100,000 adds nothing here
    data.badges.push_back(std::move(b));
  }
  return data;
}

struct Distribution {
  std::vector<std::int64_t> ns;
  double quantile_us(double q) const {
    std::size_t i = std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[i]) / 1000.0;
  }
};

std::int64_t elapsed_ns(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

}  // namespace

int main() {
  Result<std::string> pin_hash = hash_pin(kPin);
  if (!pin_hash.ok()) {
    std::fprintf(stderr, "bench_decide: %s\n", pin_hash.error().to_string().c_str());
    return 1;
  }
  site::Site site = make_site();
  db::AccessData data = make_people(*pin_hash);

  // ---- build ----
  std::int64_t rss_before = rss_bytes();
  auto b0 = Steady::now();
  BuildReport report;
  Result<Snapshot> built = Snapshot::build(site, data, &report);
  auto b1 = Steady::now();
  std::int64_t rss_after = rss_bytes();
  if (!built.ok()) {
    std::fprintf(stderr, "bench_decide: build failed: %s\n", built.error().to_string().c_str());
    return 1;
  }
  double build_s = static_cast<double>(elapsed_ns(b0, b1)) / 1e9;
  std::size_t counted = built->memory_bytes();
  std::size_t credentials = built->badge_count();
  Engine engine(std::move(built.value()));

  // ---- requests: 85 % enrolled credentials, 10 % unknown, 5 % bad parity. An
  // enrolled badge is presented at a door one of its holder's levels names four
  // times in five (people mostly go where they may), else at any door. ----
  std::unordered_map<std::string, std::vector<DoorIndex>> doors_of_group;
  for (const site::AccessLevel& level : site.access_levels) {
    for (const std::string& g : level.groups) {
      for (const std::string& door : level.doors) doors_of_group[g].push_back(*engine.snapshot().find_door(door));
    }
  }
  std::vector<DecisionRequest> requests(kWarmup + kDecisions);
  std::vector<readers::CredentialKey> probe_keys(requests.size());
  const std::int64_t week_start = 1'772'409'600'000'000;  // Monday 2026-03-02T00:00:00Z
  const std::int64_t step = 7LL * 86'400'000'000 / static_cast<std::int64_t>(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    DecisionRequest& r = requests[i];
    r.door = static_cast<DoorIndex>(uniform(0, kDoors - 1));
    r.at = WallTime{week_start + static_cast<std::int64_t>(i) * step + uniform(0, 1'000'000)};
    double kind = std::uniform_real_distribution<double>(0, 1)(rng);
    int which = uniform(0, kCredentials - 1);
    if (kind < 0.85) {
      probe_keys[i] = key_for(which, &r.card);
      const db::PersonRow& holder = data.people[static_cast<std::size_t>(data.badges[static_cast<std::size_t>(which)].person_id - 1)];
      const std::string& group = holder.groups[static_cast<std::size_t>(uniform(0, static_cast<int>(holder.groups.size()) - 1))];
      auto reach = doors_of_group.find(group);
      if (chance(0.8) && reach != doors_of_group.end()) {
        r.door = reach->second[static_cast<std::size_t>(uniform(0, static_cast<int>(reach->second.size()) - 1))];
      }
    } else if (kind < 0.95) {
      r.card = readers::encode_card(readers::CardFormat::kH10301, 250, static_cast<std::uint64_t>(which % 65536)).value();
      probe_keys[i] = readers::decode_card(r.card)->key;
    } else {
      probe_keys[i] = key_for(which, &r.card);
      r.card.bits[1] ^= 0x10;  // one bit flipped in transit: parity fails
    }
    if (engine.snapshot().door(r.door).mode == site::DoorMode::kCardAndPin) {
      r.pin = chance(0.9) ? kPin : "0000";
    }
  }

  // ---- the timer's own cost: back-to-back now() pairs ----
  Distribution timer;
  timer.ns.resize(kDecisions);
  for (auto& sample : timer.ns) {
    auto t0 = Steady::now();
    auto t1 = Steady::now();
    sample = elapsed_ns(t0, t1);
  }
  std::sort(timer.ns.begin(), timer.ns.end());
  std::int64_t timer_overhead_ns = timer.ns[timer.ns.size() / 2];

  // ---- decisions ----
  for (int i = 0; i < kWarmup; ++i) benchmark::DoNotOptimize(engine.decide(requests[static_cast<std::size_t>(i)]));
  Distribution decide;
  decide.ns.resize(kDecisions);
  std::vector<std::size_t> reasons(kAllReasons.size(), 0);
  std::size_t pin_checks = 0;
  for (int i = 0; i < kDecisions; ++i) {
    const DecisionRequest& r = requests[static_cast<std::size_t>(kWarmup + i)];
    auto t0 = Steady::now();
    Result<Decision> d = engine.decide(r);
    benchmark::DoNotOptimize(d);
    auto t1 = Steady::now();
    decide.ns[static_cast<std::size_t>(i)] = elapsed_ns(t0, t1);
    if (d.ok()) {
      ++reasons[static_cast<std::size_t>(d->reason)];
      // At a card-and-pin door, these outcomes mean the PIN was verified.
      bool verified = (d->reason == Reason::kWrongPin && d->effects.pin_state_changed) || d->granted ||
                      d->reason == Reason::kAntiPassback || d->reason == Reason::kTwoPersonPending;
      if (r.pin && verified) ++pin_checks;
    }
  }
  std::sort(decide.ns.begin(), decide.ns.end());

  // ---- the floor: a bare unordered_map lookup of the same keys ----
  std::unordered_map<readers::CredentialKey, std::uint32_t> bare;
  bare.reserve(kCredentials);
  for (int i = 0; i < kCredentials; ++i) bare.emplace(key_for(i, nullptr), static_cast<std::uint32_t>(i));
  for (int i = 0; i < kWarmup; ++i) benchmark::DoNotOptimize(bare.find(probe_keys[static_cast<std::size_t>(i)]));
  Distribution probe;
  probe.ns.resize(kDecisions);
  for (int i = 0; i < kDecisions; ++i) {
    const readers::CredentialKey& key = probe_keys[static_cast<std::size_t>(kWarmup + i)];
    auto t0 = Steady::now();
    auto it = bare.find(key);
    benchmark::DoNotOptimize(it);
    auto t1 = Steady::now();
    probe.ns[static_cast<std::size_t>(i)] = elapsed_ns(t0, t1);
  }
  std::sort(probe.ns.begin(), probe.ns.end());

  // ---- one PIN verification on its own (Argon2id at the minimum cost) ----
  Distribution pin;
  pin.ns.resize(2000);
  for (auto& sample : pin.ns) {
    auto t0 = Steady::now();
    bool ok = verify_pin(*pin_hash, kPin);
    benchmark::DoNotOptimize(ok);
    sample = elapsed_ns(t0, Steady::now());
  }
  std::sort(pin.ns.begin(), pin.ns.end());

  std::printf("# %zu credentials on %zu people (%zu badges skipped), %d doors, %zu access levels, %d groups\n",
              credentials, report.people, report.badges_without_person + report.badges_bad_credential,
              kDoors, site.access_levels.size(), kGroups);
  std::printf("# bytes_per_credential counts the snapshot's structures by capacity (Snapshot::memory_bytes: rows, "
              "group pool, index tables, PIN hashes, site tables), people included; RSS grew %.1f bytes/credential "
              "during the build\n",
              static_cast<double>(rss_after - rss_before) / static_cast<double>(credentials));
  std::printf("# %d decisions after %d warm-up, each timed alone with steady_clock (figures include one timer "
              "overhead); reasons:",
              kDecisions, kWarmup);
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (reasons[i] != 0) std::printf(" %s=%zu", std::string(reason_code(kAllReasons[i])).c_str(), reasons[i]);
  }
  std::printf("\n# decide p90=%.3f us p99.9=%.3f us max=%.3f us; %zu decisions verified a PIN\n",
              decide.quantile_us(0.90), decide.quantile_us(0.999),
              static_cast<double>(decide.ns.back()) / 1000.0, pin_checks);
  std::printf("# probe p50=%.3f us p99.9=%.3f us max=%.3f us; pin verify p50=%.1f us p99=%.1f us\n",
              probe.quantile_us(0.5), probe.quantile_us(0.999), static_cast<double>(probe.ns.back()) / 1000.0,
              pin.quantile_us(0.5), pin.quantile_us(0.99));
  std::printf("snapshot_build_s=%.3f\n", build_s);
  std::printf("bytes_per_credential=%.1f\n", static_cast<double>(counted) / static_cast<double>(credentials));
  std::printf("timer_overhead_ns=%" PRId64 "\n", timer_overhead_ns);
  std::printf("probe_p99_us=%.3f\n", probe.quantile_us(0.99));
  std::printf("decide_p50_us=%.3f\n", decide.quantile_us(0.50));
  std::printf("decide_ratio_vs_probe=%.2f\n", decide.quantile_us(0.99) / probe.quantile_us(0.99));
  std::printf("decide_p99_us=%.3f\n", decide.quantile_us(0.99));
  return 0;
}
