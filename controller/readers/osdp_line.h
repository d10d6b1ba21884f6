// One OSDP line as the controller owns it: a TCP connection to a serial-to-IP
// bridge or an IP reader ("tcp://HOST:PORT"), or a local serial port
// ("serial:///dev/ttyUSB0?baud=9600"). It hands every received byte to
// on_bytes with the time it arrived and writes what it is given, in order. It
// knows nothing of OSDP: the control panel (readers/osdp_cp.h) sits above it.
//
// Keeps itself alive while operations are in flight (shared_from_this); runs
// on its own strand; reconnects with backoff (0.2 s doubling to 5 s) when the
// connection drops or cannot be made, reporting each change through on_link.
// Thread safety: call every method on the reactor.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "base/clock.h"
#include "base/result.h"

namespace gatehouse::controller::readers_io {

struct LineHandlers {
  std::function<void(std::span<const std::uint8_t> bytes, MonoTime at)> on_bytes;
  std::function<void(bool connected, const std::string& reason)> on_link;
};

class OsdpLine {
 public:
  virtual ~OsdpLine() = default;
  // "tcp://HOST:PORT" or "serial://DEVICE?baud=N". kInvalidInput for anything else.
  static Result<std::shared_ptr<OsdpLine>> create(boost::asio::io_context& ioc,
                                                  const std::string& url, LineHandlers handlers,
                                                  const Clock& clock = SystemClock::instance());
  virtual void start() = 0;
  virtual void stop() = 0;
  // Queues bytes; dropped (and counted) while disconnected: OSDP retries itself.
  virtual void send(std::span<const std::uint8_t> bytes) = 0;
  virtual bool connected() const = 0;
  virtual std::int64_t bytes_dropped() const = 0;
  virtual const std::string& url() const = 0;
};

}  // namespace gatehouse::controller::readers_io
