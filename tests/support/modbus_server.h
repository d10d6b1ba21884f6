// A real Modbus server for tests and benchmarks, built on libmodbus's own
// server side (modbus_mapping_new_start_address, modbus_receive, modbus_reply)
// on a thread of its own, with hooks that make it misbehave as field devices
// do. Loopback only:
//
// - tcp(): Modbus TCP on 127.0.0.1, on a port the kernel picks (port()).
// - rtu(): Modbus RTU on a pseudo-terminal. The server keeps the master side;
//   the client opens the slave side by its path (device()), as it would open
//   /dev/ttyUSB0. libmodbus's RTU receive serves a single unit id (it drops
//   frames for any other), so the RTU server frames requests itself (length
//   from the function code, CRC checked) and answers with modbus_reply, which
//   lets one line carry several units. The server also holds the slave side
//   open, in raw mode, so the line stays up while clients come and go.
//
// Thread safety: every method may be called from any thread. Lifetime: the
// destructor stops and joins the server thread; faults never block it, so
// stopping is always prompt.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace gatehouse::test_support {

class ModbusServer {
 public:
  struct Unit {
    int id = 1;
    int coils = 16;   // coil addresses coil_base .. coil_base + coils - 1
    int inputs = 16;  // discrete input addresses input_base .. input_base + inputs - 1
    int coil_base = 0;
    int input_base = 0;
  };

  enum class Fault {
    kNone,
    kWrongUnit,  // answers correctly, but as unit id + 1
    kException,  // answers with a Modbus exception (set_fault's exception_code)
    kGarbage,    // answers with bytes that are not a valid answer (bad CRC on RTU)
    kTruncated,  // sends the first half of the right answer, then nothing more
    kDrop,       // TCP: closes the connection without answering. RTU: as kSilent
    kSilent,     // reads the request and answers nothing
  };

  // port 0: the kernel picks one. A given port lets a test bring a server
  // back where a client is already trying to reconnect.
  static Result<std::unique_ptr<ModbusServer>> tcp(std::vector<Unit> units, int port = 0);
  static Result<std::unique_ptr<ModbusServer>> rtu(std::vector<Unit> units);
  ~ModbusServer();
  ModbusServer(const ModbusServer&) = delete;
  ModbusServer& operator=(const ModbusServer&) = delete;

  // As the site file writes it: "tcp://127.0.0.1:PORT" or
  // "rtu:///dev/pts/N?baud=115200&parity=N&data=8&stop=1".
  std::string url() const;
  int port() const;                   // TCP; 0 for RTU
  const std::string& device() const;  // RTU; empty for TCP

  // ---- The device's state ----
  void set_input(int unit, int index, bool value);  // index from input_base
  bool coil(int unit, int index) const;             // index from coil_base
  void set_coil(int unit, int index, bool value);

  // ---- Misbehaviour ----
  // Every request for `unit` (0: every unit) meets `fault` from now on; with
  // times >= 0, only the next `times` such requests.
  void set_fault(Fault fault, int unit = 0, int exception_code = 2, int times = -1);
  void clear_fault() { set_fault(Fault::kNone); }
  // A jammed output: FC 05 on that coil is acknowledged, but the coil keeps
  // its value, so a read-back shows the old one.
  void set_lock_fault(int unit, int index, bool stuck);

  // ---- What the server saw ----
  // Requests received for unit with function code `function` (0: any).
  int requests(int unit, int function = 0) const;
  int connections() const;  // TCP connections accepted so far
  // Waits until requests(unit, function) >= n, at most `limit`.
  bool wait_requests(int unit, int function, int n, std::chrono::milliseconds limit) const;

  class Impl;

 private:
  explicit ModbusServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::test_support
