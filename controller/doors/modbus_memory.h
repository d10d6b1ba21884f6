// MemoryIo: the in-memory peer of the Modbus buses (modbus_bus.h), for tests of
// the door logic that need no socket. The test plays the modules: it sets
// inputs (reported through IoCallbacks::on_inputs as a poll would), sees every
// coil write, takes modules offline and back (on_link, once per change), and
// makes a coil's read-back lie (the write completes with kConflict and the
// coil keeps its value, as a jammed relay does).
//
// Thread safety: every method may be called from any thread; callbacks and
// done() run on the calling thread (the peer has no thread of its own, so "the
// bus thread" is whoever calls), never under the peer's lock. By default a
// write completes inside write_coil(); hold_writes(true) keeps writes pending
// until complete_writes(), for tests that need a write in flight.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/doors/io.h"
#include "site/site.h"

namespace gatehouse::controller::doors {

class MemoryIo final : public CoilWriter {
 public:
  struct CoilWrite {
    std::string module_id;
    int coil = 0;
    bool value = false;
    Status result;  // what done() was given (pending writes are not listed)
  };

  MemoryIo(const std::vector<site::IoModule>& modules, IoCallbacks callbacks,
           const Clock& clock = SystemClock::instance());

  // CoilWriter: the same results as a bus, without I/O: kInvalidInput for an
  // unknown module or a negative coil, kUnavailable while the module is
  // offline, kConflict when the read-back lies, else ok and the coil is set.
  void write_coil(const std::string& module_id, int coil, bool value,
                  std::function<void(Status)> done) override;

  // ---- The test's side ----

  // Sets one input (or all of them) and reports the module's inputs at once.
  // false (nothing reported) for an unknown module or an index outside
  // 0..input_count-1, or a vector of the wrong size.
  bool set_input(const std::string& module_id, int input, bool value);
  bool set_inputs(const std::string& module_id, std::vector<bool> inputs);
  // Reports the current inputs again, as the next poll would.
  bool poll(const std::string& module_id);
  // Reports a link change through on_link, once per change (the same state
  // twice reports nothing). While offline, writes fail with kUnavailable.
  bool set_online(const std::string& module_id, bool online, std::string reason);
  // While set, writes to that coil complete with kConflict and leave it as it was.
  void set_readback_lies(const std::string& module_id, int coil, bool lies);

  void hold_writes(bool hold);
  // Completes the held writes in order; returns how many.
  std::size_t complete_writes();

  bool coil(const std::string& module_id, int coil) const;
  std::vector<bool> inputs(const std::string& module_id) const;
  std::vector<CoilWrite> writes() const;  // completed writes, oldest first
  std::size_t pending_writes() const;

 private:
  struct Module {
    site::IoModule cfg;
    std::vector<bool> inputs;
    std::map<int, bool> coils;
    std::set<int> lying_coils;
    bool online = true;
    std::string reason;
  };
  struct Pending {
    std::string module_id;
    int coil = 0;
    bool value = false;
    std::function<void(Status)> done;
  };

  Status apply(const Pending& w);  // under mu_
  void report_inputs(const std::string& module_id, std::vector<bool> inputs);

  const IoCallbacks callbacks_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Module, std::less<>> modules_;
  bool hold_ = false;
  std::vector<Pending> held_;
  std::vector<CoilWrite> done_;
};

}  // namespace gatehouse::controller::doors
