// ./bench.sh doors: door I/O over Modbus at the size of a large building.
//
// 200 doors on 20 I/O modules (10 doors each: 10 lock coils, 20 inputs for
// contacts and exit buttons), each module a real Modbus TCP server
// (tests/support/modbus_server, libmodbus) on loopback, polled every 100 ms by
// the real ModbusBus code (controller/doors/modbus_bus), one bus thread per
// module. Measures, in this order:
//
//  1. poll_cpu_pct: CPU time of the 20 bus threads (their own thread CPU
//     clocks, pthread_getcpuclockid) over 10 s of polling with no writes, as a
//     percentage of one core. The servers' CPU is not counted: it is not the
//     controller's.
//  2. The floor, with polling going on: a bare libmodbus client of its own on
//     one of the same servers, timing each synchronous call with steady_clock.
//     modbus_rtt_p99_ms: modbus_write_bit alone (one round trip);
//     modbus_write_readback_p99_ms: modbus_write_bit then modbus_read_bits of
//     that coil (two round trips: what a confirmed write costs at the least).
//  3. grant_to_coil_p99_ms: from calling write_coil(), as the door logic does
//     right after a grant, to done() with the read-back confirmed; 2,400
//     writes to random doors, one every 2 ms, while polling goes on.
//
// docs/performance.md ("doors") explains each figure. Output: '#' lines
// describe the run; the metric=value lines come last, the headline last of all.
#include <modbus/modbus.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller/doors/modbus_bus.h"
#include "tests/support/modbus_server.h"

namespace {

using namespace gatehouse;
using controller::doors::IoCallbacks;
using controller::doors::ModbusIo;
using test_support::ModbusServer;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kModules = 20;
constexpr int kDoorsPerModule = 10;
constexpr int kDoors = kModules * kDoorsPerModule;
constexpr int kInputsPerModule = 2 * kDoorsPerModule;
constexpr int kPollMs = 100;
constexpr auto kCpuInterval = 10s;
constexpr int kFloorSamples = 2'000;
constexpr int kWrites = 2'400;
constexpr auto kPace = 2ms;  // between writes (and floor samples)

std::string id_of(const char* prefix, int n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Nearest rank.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

std::chrono::nanoseconds bus_cpu(const ModbusIo& io) {
  std::chrono::nanoseconds sum{};
  for (const auto& bus : io.buses()) sum += bus->cpu_time();
  return sum;
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "bench_doors: %s\n", why.c_str());
  std::exit(1);
}

// One synchronous libmodbus client on a server: the floor.
struct Floor {
  std::vector<double> write_ms;
  std::vector<double> write_readback_ms;
};

Floor measure_floor(const ModbusServer& server) {
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", server.port());
  if (ctx == nullptr || modbus_connect(ctx) == -1) fail("floor client cannot connect");
  modbus_set_slave(ctx, 1);
  Floor floor;
  const int coil = kDoorsPerModule - 1;
  std::uint8_t bit = 0;
  for (int i = 0; i < 2 * kFloorSamples; ++i) {
    const bool value = (i / 2) % 2 == 0;
    const auto t0 = Steady::now();
    if (modbus_write_bit(ctx, coil, value) != 1) fail("floor write failed");
    if (i % 2 == 1) {
      if (modbus_read_bits(ctx, coil, 1, &bit) != 1 || (bit != 0) != value)
        fail("floor read failed");
      floor.write_readback_ms.push_back(ms_between(t0, Steady::now()));
    } else {
      floor.write_ms.push_back(ms_between(t0, Steady::now()));
    }
    std::this_thread::sleep_for(kPace);
  }
  modbus_close(ctx);
  modbus_free(ctx);
  return floor;
}

}  // namespace

int main() {
  std::vector<std::unique_ptr<ModbusServer>> servers;
  std::vector<site::IoModule> modules;
  for (int i = 0; i < kModules; ++i) {
    auto server =
        ModbusServer::tcp({{.id = 1, .coils = kDoorsPerModule, .inputs = kInputsPerModule}});
    if (!server.ok()) fail(server.error().to_string());
    site::IoModule m;
    m.id = id_of("io-", i);
    m.modbus = (*server)->url();
    m.unit = 1;
    m.poll_ms = kPollMs;
    m.timeout_ms = 200;
    m.retries = 2;
    m.input_count = kInputsPerModule;
    modules.push_back(m);
    servers.push_back(std::move(*server));
  }

  std::atomic<long> polls{0};
  std::atomic<int> online{0};
  std::atomic<int> offline{0};
  IoCallbacks callbacks;
  callbacks.on_inputs = [&polls](const std::string&, const std::vector<bool>&, MonoTime) {
    polls.fetch_add(1, std::memory_order_relaxed);
  };
  callbacks.on_link = [&online, &offline](const std::string&, bool up, const std::string&,
                                          MonoTime) { (up ? online : offline).fetch_add(1); };
  auto created = ModbusIo::create(modules, callbacks);
  if (!created.ok()) fail(created.error().to_string());
  ModbusIo& io = **created;
  io.start();
  const auto ready_by = Steady::now() + 10s;
  while (online.load() < kModules && Steady::now() < ready_by) std::this_thread::sleep_for(10ms);
  if (online.load() < kModules) fail("modules did not come online");
  std::this_thread::sleep_for(1s);  // settle

  // 1. Polling CPU, no writes.
  const long polls0 = polls.load();
  const auto cpu0 = bus_cpu(io);
  const auto t0 = Steady::now();
  std::this_thread::sleep_for(kCpuInterval);
  const auto cpu1 = bus_cpu(io);
  const auto t1 = Steady::now();
  const long polls1 = polls.load();
  const double wall_s = std::chrono::duration<double>(t1 - t0).count();
  const double cpu_s = std::chrono::duration<double>(cpu1 - cpu0).count();
  const double poll_cpu_pct = 100.0 * cpu_s / wall_s;
  const double polls_per_s = static_cast<double>(polls1 - polls0) / wall_s;
  const double cpu_per_poll_us = 1e6 * cpu_s / static_cast<double>(polls1 - polls0);

  // 2. The floor, on server 0, while the buses poll.
  const Floor floor = measure_floor(*servers[0]);

  // 3. Grant to coil.
  struct Sample {
    Steady::time_point start;
    std::atomic<std::int64_t> done_ns{0};
    std::atomic<bool> ok{false};
  };
  std::vector<Sample> samples(kWrites);
  std::vector<bool> state(kDoors, false);
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int> pick(0, kDoors - 1);
  std::atomic<int> completed{0};
  for (int i = 0; i < kWrites; ++i) {
    const int door = pick(rng);
    state[static_cast<std::size_t>(door)] = !state[static_cast<std::size_t>(door)];
    Sample& s = samples[static_cast<std::size_t>(i)];
    s.start = Steady::now();
    io.write_coil(
        modules[static_cast<std::size_t>(door / kDoorsPerModule)].id, door % kDoorsPerModule,
        state[static_cast<std::size_t>(door)], [&s, &completed](Status st) {
          s.done_ns.store(
              std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
                  .count());
          s.ok.store(st.ok());
          completed.fetch_add(1);
        });
    std::this_thread::sleep_for(kPace);
  }
  const auto all_by = Steady::now() + 10s;
  while (completed.load() < kWrites && Steady::now() < all_by) std::this_thread::sleep_for(1ms);
  if (completed.load() < kWrites) fail("writes did not complete");

  std::vector<double> grant_ms;
  int failures = 0;
  for (const Sample& s : samples) {
    if (!s.ok.load()) ++failures;
    const Steady::time_point done{std::chrono::nanoseconds(s.done_ns.load())};
    grant_ms.push_back(ms_between(s.start, done));
  }
  int wrong = 0;
  for (int door = 0; door < kDoors; ++door) {
    const bool coil =
        servers[static_cast<std::size_t>(door / kDoorsPerModule)]->coil(1, door % kDoorsPerModule);
    if (coil != state[static_cast<std::size_t>(door)]) ++wrong;
  }
  io.stop();

  const double rtt_p99 = quantile(floor.write_ms, 0.99);
  const double wrb_p99 = quantile(floor.write_readback_ms, 0.99);
  const double grant_p99 = quantile(grant_ms, 0.99);
  std::printf(
      "# %d doors on %d Modbus TCP modules (libmodbus test servers on loopback), one bus thread "
      "each, polled every %d ms (FC 02, %d inputs)\n",
      kDoors, kModules, kPollMs, kInputsPerModule);
  std::printf(
      "# polling: %.1f s measured, %.0f polls/s, %.1f us of bus-thread CPU per poll; %d link "
      "changes to offline during the run\n",
      wall_s, polls_per_s, cpu_per_poll_us, offline.load());
  std::printf(
      "# floor (bare libmodbus client, %d samples each, one every %lld ms): write p50=%.3f ms "
      "max=%.3f ms; write+read-back p50=%.3f ms max=%.3f ms\n",
      kFloorSamples, static_cast<long long>(kPace.count()), quantile(floor.write_ms, 0.5),
      quantile(floor.write_ms, 1.0), quantile(floor.write_readback_ms, 0.5),
      quantile(floor.write_readback_ms, 1.0));
  std::printf(
      "# grant to coil: %d writes to random doors, one every %lld ms: p50=%.3f ms p90=%.3f ms "
      "p99.9=%.3f ms max=%.3f ms; %d failed; %d coils differ from the last value written\n",
      kWrites, static_cast<long long>(kPace.count()), quantile(grant_ms, 0.5),
      quantile(grant_ms, 0.9), quantile(grant_ms, 0.999), quantile(grant_ms, 1.0), failures, wrong);
  std::printf("poll_cpu_pct=%.2f\n", poll_cpu_pct);
  std::printf("modbus_rtt_p99_ms=%.3f\n", rtt_p99);
  std::printf("modbus_write_readback_p99_ms=%.3f\n", wrb_p99);
  std::printf("grant_ratio_vs_rtt=%.2f\n", grant_p99 / rtt_p99);
  std::printf("grant_ratio_vs_write_readback=%.2f\n", grant_p99 / wrb_p99);
  std::printf("grant_to_coil_p99_ms=%.3f\n", grant_p99);
  return failures == 0 && wrong == 0 ? 0 : 1;
}
