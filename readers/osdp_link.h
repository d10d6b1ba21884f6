// The contract between the OSDP protocol state machines (osdp_cp.*: the
// control panel, osdp_pd.*: the peripheral device / virtual reader) and the
// code that owns the wire (the controller's Asio TCP and serial channels, the
// bridge, tests). The state machines never open a port, never block, never
// sleep and read no clock: bytes and the time come in, bytes and events go out.
//
//   owner --- receive(bytes, now) ---> state machine --- Send(bytes) ---> owner
//   owner --- tick(now) at next_deadline() -->
//
// A half-duplex RS-485 line carries one CP and several PDs; the CP speaks only
// when the previous exchange has ended (reply or 200 ms timeout), which is the
// turn-around rule. The owner writes the bytes it is given in order.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

namespace gatehouse::readers::osdp {

// Writes bytes to the wire (the owner queues them; must not call back in).
using Send = std::function<void(std::span<const std::uint8_t>)>;

// SIA OSDP v2.2: a PD must answer within 200 ms.
inline constexpr std::int64_t kReplyTimeoutUs = 200'000;

}  // namespace gatehouse::readers::osdp
