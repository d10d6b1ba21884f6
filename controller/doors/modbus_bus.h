// Door I/O over Modbus (libmodbus): the real implementation of the contract in
// io.h. docs/modbus.md describes the behaviour; this header the API.
//
// A ModbusBus is one Modbus TCP endpoint or one serial line, carrying one or
// more modules (unit ids). It runs a thread of its own, because libmodbus
// blocks: the thread connects, polls each module's discrete inputs (FC 02) at
// the module's poll_ms and reports them through IoCallbacks, and serves coil
// writes (FC 05, then a read-back with FC 01) ahead of pending polls.
// ModbusIo groups a site's modules into buses and routes write_coil() to them.
//
// Thread safety: write_coil() may be called from any thread; it queues and
// returns at once, never blocking the reactor. IoCallbacks and every done()
// are called on a bus thread, never while a bus lock is held (so they may call
// write_coil() again). start() and stop() are for the owner's thread.
// Lifetime: the callbacks and the clock must outlive the bus; stop() (or the
// destructor) joins the thread, after which no callback runs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "controller/doors/io.h"
#include "site/site.h"

namespace gatehouse::controller::doors {

class ModbusBus final : public CoilWriter {
 public:
  // modules must all name the same line: one TCP endpoint (same host and
  // port), or one serial device with the same settings; unit ids distinct.
  // kInvalidInput when they do not, when an endpoint does not parse, when a
  // register map runs past address 65535, or for unit 0 on a serial line
  // (the RTU broadcast address, which no module answers).
  static Result<std::unique_ptr<ModbusBus>> create(std::vector<site::IoModule> modules,
                                                   IoCallbacks callbacks,
                                                   const Clock& clock = SystemClock::instance());
  ~ModbusBus() override;  // stop()
  ModbusBus(const ModbusBus&) = delete;
  ModbusBus& operator=(const ModbusBus&) = delete;

  // Starts the bus thread; it connects and starts polling at once.
  void start();
  // Stops and joins the thread. A request in flight is abandoned as soon as
  // the thread is woken (within a millisecond), except inside a TCP connect or
  // an answer that has begun to arrive, which are bounded by timeout_ms.
  // Queued writes complete with kUnavailable. Idempotent.
  void stop();

  // See CoilWriter. coil is the door's coil number; the Modbus address is
  // coil_base + coil. ok once the read-back (FC 01) shows the value written;
  // kConflict when it does not; kUnavailable when the module is offline (at
  // once, without touching the line), does not answer after its retries, or
  // the bus is stopped; kInvalidInput for a module not on this bus, a coil
  // outside 0..65535 - coil_base, or a module that says the coil does not
  // exist (Modbus exception 2). After stop(), done runs on the caller's thread.
  void write_coil(const std::string& module_id, int coil, bool value,
                  std::function<void(Status)> done) override;

  // "tcp://host:port" or the serial device path: what the modules share.
  const std::string& line() const;
  const std::vector<site::IoModule>& modules() const;
  // CPU time the bus thread has used so far (zero before start and after
  // stop). For metrics and the benchmark; call from the owner's thread.
  std::chrono::nanoseconds cpu_time() const;

  class Impl;

 private:
  explicit ModbusBus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Every I/O module of a site, one ModbusBus per line.
class ModbusIo final : public CoilWriter {
 public:
  // Groups modules by line (the TCP host:port, or the serial device) and
  // creates one bus per line; the first error of ModbusBus::create, if any.
  static Result<std::unique_ptr<ModbusIo>> create(const std::vector<site::IoModule>& modules,
                                                  IoCallbacks callbacks,
                                                  const Clock& clock = SystemClock::instance());
  ~ModbusIo() override;  // stop()

  void start();
  void stop();
  // Routes to the module's bus. A module id no bus carries completes with
  // kInvalidInput on the first bus's thread (on the caller's thread when the
  // site has no modules at all).
  void write_coil(const std::string& module_id, int coil, bool value,
                  std::function<void(Status)> done) override;

  const std::vector<std::unique_ptr<ModbusBus>>& buses() const { return buses_; }

 private:
  ModbusIo() = default;
  std::vector<std::unique_ptr<ModbusBus>> buses_;
  std::map<std::string, ModbusBus*, std::less<>> by_module_;  // module id -> its bus
};

}  // namespace gatehouse::controller::doors
