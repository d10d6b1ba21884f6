// The simulator core: for a site, one virtual OSDP reader per reader with a
// tcp:// endpoint and one virtual Modbus TCP module per io_module with a
// tcp:// endpoint, and the physics of every door wired to them
// (docs/simulator.md). One thread (start()) waits on every socket with poll()
// and ticks the physics every tick_us; commands come from any thread through
// command() (stdin, the HTTP control port, tests) and from the scenario and
// the traffic generator, which run on the simulator thread.
//
// Thread safety: every public member may be called from any thread (one mutex).
// Lifetime: the destructor stops the thread and closes every socket.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "firmware-bridge/sim_devices.h"
#include "firmware-bridge/sim_physics.h"
#include "firmware-bridge/sim_script.h"
#include "site/site.h"

namespace gatehouse::bridge {

struct SimOptions {
  std::uint64_t seed = 1;          // reader RND.B and the traffic's choices
  std::int64_t tick_us = 20'000;   // physics tick (20-50 ms)
  PhysicsTimings timings;
};

struct CommandResult {
  bool ok = true;
  std::string text;  // the answer ("error: ..." when !ok), one or more lines
};

class Simulator {
 public:
  // Opens every listener (kIo when a port is taken). Endpoints with port 0
  // get a port from the kernel: reader_port() / module_port() say which.
  static Result<std::unique_ptr<Simulator>> create(const site::Site& site, SimOptions options = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void start();  // the simulator thread
  void stop();   // joins it; idempotent

  // One command line (docs/simulator.md, "Commands"); `source` is for the log.
  CommandResult command(std::string_view line, std::string_view source = "api");

  // Runs the steps relative to now; with exit_after, quit after the last.
  void set_scenario(std::vector<ScenarioStep> steps, bool exit_after);
  // Every `every_us`, one card of `cards` (card specs) at a random simulated reader.
  Status set_traffic(std::vector<std::string> cards, std::int64_t every_us);

  // True once `quit` ran (a command, the scenario's end with exit_after).
  bool wait_quit(std::chrono::milliseconds limit);
  bool quit_requested() const { return quit_.load(); }
  bool scenario_finished() const;

  // For tests and the start-up banner; 0 when unknown or not simulated.
  int reader_port(std::string_view reader_id) const;
  int module_port(std::string_view module_id) const;
  std::optional<DoorPhase> door_phase(std::string_view door_id) const;

 private:
  struct Door {
    site::Door config;
    DoorPhysics physics;
    SimUnit* lock_unit = nullptr;     // null: the lock's module is not simulated
    SimUnit* contact_unit = nullptr;
    SimUnit* exit_unit = nullptr;
    std::optional<bool> last_unlocked;
  };
  struct ReaderRef {
    SimReader* reader = nullptr;  // null: not simulated (serial://)
    ReaderLine* line = nullptr;
    std::string endpoint;
  };
  struct ModuleRef {
    SimUnit* unit = nullptr;  // null: not simulated (rtu://)
    ModbusEndpoint* endpoint = nullptr;
  };

  Simulator() = default;
  Status build(const site::Site& site, SimOptions options);
  void run();
  void tick_locked(MonoTime now);
  void write_inputs(Door& door);
  bool lock_unlocked(const Door& door) const;
  CommandResult command_locked(std::string_view line, std::string_view source, MonoTime now);
  CommandResult do_present(const std::vector<std::string>& w, MonoTime now);
  CommandResult do_door(const std::vector<std::string>& w, MonoTime now);
  CommandResult do_tamper(const std::vector<std::string>& w);
  CommandResult do_plug(const std::vector<std::string>& w, bool plug);
  std::string status_text() const;
  Door* find_door(std::string_view id);
  std::string door_ids() const;
  std::string reader_ids() const;

  SimOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<ReaderLine>> reader_lines_;
  std::vector<std::unique_ptr<ModbusEndpoint>> modbus_endpoints_;
  std::map<std::string, ReaderRef, std::less<>> readers_;
  std::map<std::string, ModuleRef, std::less<>> modules_;
  std::vector<std::unique_ptr<Door>> doors_;

  std::vector<ScenarioStep> scenario_;
  std::size_t scenario_next_ = 0;
  MonoTime scenario_start_{};
  bool exit_after_scenario_ = false;

  std::vector<readers::RawCard> traffic_cards_;
  std::vector<std::string> traffic_specs_;
  std::int64_t traffic_every_us_ = 0;
  MonoTime traffic_next_{};
  std::mt19937_64 rng_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> quit_{false};
  std::condition_variable quit_cv_;
  std::thread thread_;
};

}  // namespace gatehouse::bridge
