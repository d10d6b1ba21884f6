// Opening a serial port for the gateways (Asio), and the timing a baud rate
// implies. Shared by the OSDP relay and the Wiegand firmware reader.
#pragma once

#include <boost/asio/serial_port.hpp>
#include <chrono>

#include "base/result.h"
#include "firmware-bridge/gw_config.h"

namespace gatehouse::bridge {

// Opens and configures (raw, 8 data bits, the parity asked, 1 stop bit, no
// flow control) `port` on `settings.device`.
Status open_serial(boost::asio::serial_port& port, const SerialSettings& settings);

// The time one character takes on the line (10 or 11 bits with parity).
std::chrono::microseconds character_time(const SerialSettings& settings);

}  // namespace gatehouse::bridge
