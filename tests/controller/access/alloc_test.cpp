// decide() allocates nothing on its common paths (engine.h promises it): the
// reactor must not stall in malloc under load. Counted by replacing the global
// operator new for this test binary; the count is only taken between arm() and
// disarm(), around decide() alone.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "controller/access/engine.h"
#include "tests/controller/access/fixtures.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gatehouse::controller::access {
namespace {

using namespace testing;

long allocations_during(Engine& engine, const DecisionRequest& request, Reason* reason) {
  g_allocations = 0;
  g_counting = true;
  Result<Decision> d = engine.decide(request);
  g_counting = false;
  *reason = d.ok() ? d->reason : Reason::kBadFormat;
  return g_allocations.load();
}

TEST(DecideAllocations, NoneForGrantsDenialsOrUnknownCards) {
  db::AccessData data;
  data.people = {person(1, "Alice", {"staff"}), person(2, "Carl", {})};
  data.badges = {badge(11, 1, 20, 11), badge(12, 2, 20, 12)};
  Result<Snapshot> snap = Snapshot::build(building_site(), data);
  ASSERT_TRUE(snap.ok());
  Engine engine(std::move(snap.value()));
  // Warm the time zone cache: the first lookup reads the zone's rules.
  decide_at(engine, "hall-in", h10301(20, 12), london(2026, 3, 3, 9, 0));

  struct Case {
    const char* door;
    std::uint64_t card;
    const char* expected;
  };
  WallTime t = london(2026, 3, 3, 10, 0);
  for (Case c : {Case{"hall-in", 11, "granted"}, Case{"hall-in", 11, "anti_passback"},
                 Case{"lab-in", 11, "granted"}, Case{"lab-in", 11, "granted_passback_logged"},
                 Case{"vault-in", 11, "restricted_area"}, Case{"hall-in", 12, "no_access"},
                 Case{"hall-in", 99, "unknown_credential"}}) {
    DecisionRequest r;
    r.door = *engine.snapshot().find_door(c.door);
    r.card = h10301(20, c.card);
    r.at = t;
    Reason reason{};
    EXPECT_EQ(allocations_during(engine, r, &reason), 0) << c.door << " " << c.card;
    EXPECT_EQ(reason_code(reason), c.expected) << c.door << " " << c.card;
  }
  // The counter does see allocations: a parity failure builds the decoder's
  // error message (the documented exception).
  DecisionRequest bad;
  bad.door = 0;
  bad.card = h10301(20, 11);
  bad.card.bits[1] ^= 0x10;
  bad.at = t;
  Reason reason{};
  EXPECT_GT(allocations_during(engine, bad, &reason), 0);
  EXPECT_EQ(reason_code(reason), "bad_format");
}

}  // namespace
}  // namespace gatehouse::controller::access
