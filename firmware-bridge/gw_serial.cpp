#include "firmware-bridge/gw_serial.h"

#include <algorithm>

namespace gatehouse::bridge {
namespace asio = boost::asio;

Status open_serial(asio::serial_port& port, const SerialSettings& settings) {
  boost::system::error_code ec;
  port.open(settings.device, ec);
  if (!ec) port.set_option(asio::serial_port::baud_rate(settings.baud), ec);
  if (!ec) port.set_option(asio::serial_port::character_size(8), ec);
  if (!ec) {
    auto parity = settings.parity == 'E'   ? asio::serial_port::parity::even
                  : settings.parity == 'O' ? asio::serial_port::parity::odd
                                           : asio::serial_port::parity::none;
    port.set_option(asio::serial_port::parity(parity), ec);
  }
  if (!ec) port.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), ec);
  if (!ec) port.set_option(asio::serial_port::flow_control(asio::serial_port::flow_control::none), ec);
  if (ec) {
    boost::system::error_code ignored;
    port.close(ignored);
    return make_error(ErrorKind::kIo, "cannot open " + settings.device + ": " + ec.message());
  }
  return {};
}

std::chrono::microseconds character_time(const SerialSettings& settings) {
  const unsigned bits = settings.parity == 'N' ? 10 : 11;
  return std::chrono::microseconds(1'000'000LL * bits / std::max(settings.baud, 1U) + 1);
}

}  // namespace gatehouse::bridge
