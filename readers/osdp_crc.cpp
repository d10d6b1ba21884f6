#include "readers/osdp_crc.h"

namespace gatehouse::readers::osdp {

std::uint16_t crc16(std::span<const std::uint8_t> bytes) {
  // Bitwise rather than table-driven: packets are at most a few hundred bytes
  // on a 9600..115200 baud line, so speed does not matter and this is easy to
  // check against the parameters above.
  std::uint16_t crc = 0x1D0F;
  for (std::uint8_t byte : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (std::uint16_t{byte} << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000U) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021U)
                                 : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::uint8_t checksum8(std::span<const std::uint8_t> bytes) {
  unsigned sum = 0;
  for (std::uint8_t byte : bytes) sum += byte;
  return static_cast<std::uint8_t>(0x100U - (sum & 0xFFU));
}

}  // namespace gatehouse::readers::osdp
