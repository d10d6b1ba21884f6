// An OSDP RS-485 bus presented over TCP (docs/firmware-bridge.md): the
// controller's control panel connects, its bytes go to the serial line, the
// line's bytes come back. Half duplex: bytes for the line wait while a reply
// is arriving (until the frame parser sees the packet complete, or the line
// has been quiet for two character times; a partial packet older than the
// 20 ms inter-character timeout is dropped and counted as garbage).
//
// Thread safety: stats() from any thread; everything else runs on the relay's
// own thread. Lifetime: the destructor stops and joins that thread and closes
// the port and the listener (a restarted bridge gets the same port back).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "base/result.h"
#include "firmware-bridge/gw_config.h"

namespace gatehouse::bridge {

struct OsdpRelayStats {
  std::uint64_t connections = 0;     // controller connections accepted
  std::uint64_t reconnects = 0;      // connections after the first
  std::uint64_t packets_from_line = 0;  // well-formed OSDP packets seen on the serial side
  std::uint64_t garbage_bytes = 0;   // serial bytes that were not part of a packet
  std::uint64_t bytes_to_line = 0;
  std::uint64_t bytes_to_controller = 0;
  std::uint64_t bytes_dropped = 0;   // from the line with no controller connected, or over a queue limit
  std::uint64_t serial_reopens = 0;
};

class OsdpRelay {
 public:
  // Opens the port and the listener; an error when either fails.
  static Result<std::unique_ptr<OsdpRelay>> start(const OsdpRelayConfig& config);
  ~OsdpRelay();
  OsdpRelay(const OsdpRelay&) = delete;
  OsdpRelay& operator=(const OsdpRelay&) = delete;

  std::uint16_t port() const;  // the listening port (useful with port 0)
  OsdpRelayStats stats() const;

  class Impl;

 private:
  explicit OsdpRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::bridge
