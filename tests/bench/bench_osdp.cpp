// ./bench.sh osdp: the controller's reader path at the size of a floor of a
// building: 32 OSDP readers, each on its own loopback TCP line (as 32
// serial-to-IP bridges), each polled by the real ControlPanel at the usual
// 50 ms, served by 32 virtual readers (readers/osdp_pd.h) on one host thread.
//
// Measures, in the same process and on the real reactor code
// (controller/reader_service.*, the access service and engine):
//   poll_cpu_pct            CPU time of the reactor thread while only polling
//                           (no card reads), as % of one core, over 10 s;
//   raw_to_decision_p50_ms,
//   raw_to_decision_p99_ms  for 2,000 card reads injected at random readers,
//                           from the moment the reactor has the last byte of
//                           the RAW reply (the time the line stamps on the read)
//                           to the decision made; the headline, printed last.
// The virtual readers' own CPU is not the controller's and is not counted.
#include <time.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "controller/access/snapshot.h"
#include "controller/access_service.h"
#include "controller/reader_service.h"
#include "readers/wiegand.h"
#include "tests/support/osdp_reader_host.h"

namespace {

using namespace gatehouse;
using namespace std::chrono_literals;
namespace osdp = readers::osdp;

constexpr int kReaders = 32;
constexpr int kCards = 2000;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double percentile(std::vector<std::int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;
}

}  // namespace

int main() {
  std::vector<osdp::PdSettings> pds(kReaders);
  for (auto& pd : pds) pd.address = 1;
  test_support::OsdpReaderHost host(pds);

  site::Site s;
  s.name = "bench";
  s.timezone = "UTC";
  s.schedules.push_back({"always", "", {{0, {{0, 1440}}}, {1, {{0, 1440}}}, {2, {{0, 1440}}},
                                        {3, {{0, 1440}}}, {4, {{0, 1440}}}, {5, {{0, 1440}}},
                                        {6, {{0, 1440}}}}, {}});
  s.areas = {{"outside", "", {}, false, site::AntiPassback::kNone},
             {"inside", "", {}, false, site::AntiPassback::kNone}};
  s.groups = {{"staff", ""}};
  site::AccessLevel level{"all", "", {"staff"}, {}, "always"};
  for (int i = 0; i < kReaders; ++i) {
    std::string n = std::to_string(i);
    site::Reader r;
    r.id = "r" + n;
    r.osdp = "tcp://127.0.0.1:" + std::to_string(host.port(static_cast<std::size_t>(i)));
    r.address = 1;
    r.secure_channel = false;
    s.readers.push_back(r);
    site::Door d;
    d.id = "d" + n;
    d.from_area = "outside";
    d.to_area = "inside";
    d.reader = r.id;
    s.doors.push_back(d);
    level.doors.push_back(d.id);
  }
  s.access_levels.push_back(level);

  db::AccessData data;
  data.people.push_back({1, "P1", "Person", db::PersonKind::kEmployee, true, {"staff"}, std::nullopt});
  for (int i = 0; i < 100; ++i) {
    db::BadgeRow b;
    b.id = i + 1;
    b.person_id = 1;
    b.state = db::BadgeState::kActive;
    b.credential = readers::to_string(*readers::credential_key(readers::CardFormat::kH10301, 7, 1000 + i));
    data.badges.push_back(b);
  }
  auto snapshot = controller::access::Snapshot::build(s, data);
  if (!snapshot.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", snapshot.error().message.c_str());
    return 1;
  }

  boost::asio::io_context ioc(1);
  controller::AccessService access(nullptr);
  access.install(std::move(snapshot).value());
  controller::ReaderService readers(ioc, s, access, nullptr, {}, nullptr);
  readers.start();

  // Until every reader is online (bounded).
  auto deadline = std::chrono::steady_clock::now() + 30s;
  auto online = [&] {
    int n = 0;
    for (const auto& r : readers.status()) n += r.online ? 1 : 0;
    return n;
  };
  while (online() < kReaders && std::chrono::steady_clock::now() < deadline) ioc.run_for(50ms);
  if (online() < kReaders) {
    std::fprintf(stderr, "only %d of %d readers came online\n", online(), kReaders);
    return 1;
  }

  // Polling alone: the reactor thread's CPU over 10 s.
  ioc.run_for(1s);
  const double cpu0 = thread_cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  ioc.run_for(10s);
  const double cpu = thread_cpu_s() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Card reads at random readers, one every 5 ms.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> reader(0, kReaders - 1), badge(0, 99);
  const std::size_t before = readers.raw_to_decision_us().size();
  for (int i = 0; i < kCards; ++i) {
    auto card = readers::encode_card(readers::CardFormat::kH10301, 7, 1000 + badge(rng));
    host.with_pd(static_cast<std::size_t>(reader(rng)), [&](osdp::PeripheralDevice& pd) {
      pd.present_card(*card);
      return 0;
    });
    ioc.run_for(5ms);
  }
  deadline = std::chrono::steady_clock::now() + 10s;
  while (readers.raw_to_decision_us().size() - before < kCards && std::chrono::steady_clock::now() < deadline) {
    ioc.run_for(20ms);
  }
  std::vector<std::int64_t> samples(readers.raw_to_decision_us().begin() + static_cast<long>(before),
                                    readers.raw_to_decision_us().end());
  readers.stop();
  ioc.run_for(100ms);
  if (samples.empty()) {
    std::fprintf(stderr, "no card read was decided\n");
    return 1;
  }
  std::printf("# %d readers, one loopback TCP line each, polled every 50 ms by the real control panel\n",
              kReaders);
  std::printf("# polling: %.1f s measured on the reactor thread; %zu of %d card reads decided\n", wall,
              samples.size(), kCards);
  std::printf("poll_cpu_pct=%.2f\n", 100.0 * cpu / wall);
  std::printf("raw_to_decision_p50_ms=%.3f\n", percentile(samples, 0.5));
  std::printf("raw_to_decision_max_ms=%.3f\n", percentile(samples, 1.0));
  std::printf("raw_to_decision_p99_ms=%.3f\n", percentile(samples, 0.99));
  return 0;
}
