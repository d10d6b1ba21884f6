// Modbus TCP requests relayed to a Modbus RTU line (docs/firmware-bridge.md).
// A libmodbus TCP server context receives each request (modbus_receive); the
// request goes out on the RTU context with its unit id
// (modbus_send_raw_request), the answer is read whole
// (modbus_receive_confirmation) and returned under the request's transaction
// id. No answer, or no valid one, within timeout_ms: Modbus exception 0x0B
// "gateway target device failed to respond". One request at a time on the
// line; several TCP clients may be connected, served in turn.
//
// Thread safety: stats() from any thread. libmodbus blocks, so the gateway
// runs on a thread of its own; the destructor wakes it (eventfd) and joins it,
// waiting at most for the request on the line (timeout_ms).
#pragma once

#include <cstdint>
#include <memory>

#include "base/result.h"
#include "firmware-bridge/gw_config.h"

namespace gatehouse::bridge {

struct ModbusGatewayStats {
  std::uint64_t connections = 0;  // TCP clients accepted
  std::uint64_t requests = 0;     // received from TCP
  std::uint64_t answered = 0;     // an RTU answer (or exception) relayed back
  std::uint64_t no_answer = 0;    // timeout: exception 0x0B sent
  std::uint64_t bad_answer = 0;   // CRC, wrong unit or function: exception 0x0B sent
  std::uint64_t broadcasts = 0;   // unit 0: sent, nothing to answer
};

class ModbusGateway {
 public:
  static Result<std::unique_ptr<ModbusGateway>> start(const ModbusGatewayConfig& config);
  ~ModbusGateway();
  ModbusGateway(const ModbusGateway&) = delete;
  ModbusGateway& operator=(const ModbusGateway&) = delete;

  std::uint16_t port() const;
  ModbusGatewayStats stats() const;

  class Impl;

 private:
  explicit ModbusGateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The answer for a request that got none: function | 0x80, exception code.
// Exposed for the tests.
inline constexpr std::uint8_t kExceptionGatewayPathUnavailable = 0x0A;
inline constexpr std::uint8_t kExceptionGatewayTargetFailed = 0x0B;

}  // namespace gatehouse::bridge
