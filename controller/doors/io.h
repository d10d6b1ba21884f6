// The contract between door I/O (Modbus buses, controller/doors/modbus_*) and
// the door logic (controller/doors/door_machine.*), and the serve wiring.
//
// A bus is one Modbus TCP endpoint or one serial line (RTU); it carries one or
// more modules (unit ids) and runs on a thread of its own, because libmodbus
// blocks. It polls every module's inputs at the module's poll period and writes
// coils on request. Everything it reports arrives through IoCallbacks, called on
// the bus thread: the receiver posts to the reactor and returns at once.
//
// Input bits are reported raw, as the module reads them (a 1 is a closed
// circuit); polarity (normally open/closed) and debouncing belong to the door
// logic, which knows what each point means.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace gatehouse::controller::doors {

struct IoCallbacks {
  // After every successful poll of a module: its input bits, index = input number.
  std::function<void(const std::string& module_id, const std::vector<bool>& inputs, MonoTime at)>
      on_inputs;
  // A module went offline (no valid answer for 3 poll periods, or the bus broke)
  // or came back; reason says why in words for the log and the alarm.
  std::function<void(const std::string& module_id, bool online, const std::string& reason,
                     MonoTime at)>
      on_link;
};

// What the door logic needs from the I/O side. Implemented by the Modbus buses
// and by an in-memory peer for tests.
class CoilWriter {
 public:
  virtual ~CoilWriter() = default;
  // Writes the coil and reads it back. done(Status) is called on the bus thread:
  // ok when the module confirmed the value; kUnavailable when the module is
  // offline or did not answer; kConflict when the read-back differs (a lock
  // fault); kInvalidInput for a module or coil that does not exist.
  virtual void write_coil(const std::string& module_id, int coil, bool value,
                          std::function<void(Status)> done) = 0;
};

}  // namespace gatehouse::controller::doors
