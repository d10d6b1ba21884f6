// OSDP packet check characters: the CRC-16 and the 8-bit checksum that end
// every packet. Pure functions, callable from any thread.
#pragma once

#include <cstdint>
#include <span>

namespace gatehouse::readers::osdp {

// CRC-16/AUG-CCITT (a.k.a. CRC-16/SPI-FUJITSU): polynomial 0x1021, initial
// value 0x1D0F, no reflection, no final XOR. OSDP sends it least significant
// byte first, computed over every byte from the SOM up to the CRC.
std::uint16_t crc16(std::span<const std::uint8_t> bytes);

// The 8-bit checksum older readers use: the two's complement of the byte sum,
// so that the sum of the covered bytes plus the checksum is 0 modulo 256.
std::uint8_t checksum8(std::span<const std::uint8_t> bytes);

}  // namespace gatehouse::readers::osdp
