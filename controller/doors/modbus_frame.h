// The three Modbus requests a bus sends (FC 01 read coils, FC 02 read discrete
// inputs, FC 05 write single coil) and the checks an answer must pass before
// it is believed. libmodbus frames the bytes (MBAP header or RTU CRC); the bus
// sends raw requests (modbus_send_raw_request) so that it sees each answer
// whole and can check what libmodbus 3.1.6 does not over TCP: that the answer
// comes from the unit asked (docs/modbus.md, "Answers").
//
// Thread safety: pure functions on values.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace gatehouse::controller::doors {

inline constexpr std::uint8_t kReadCoils = 0x01;
inline constexpr std::uint8_t kReadDiscreteInputs = 0x02;
inline constexpr std::uint8_t kWriteSingleCoil = 0x05;

enum class Framing { kTcp, kRtu };

struct Request {
  std::uint8_t unit = 1;
  std::uint8_t function = 0;
  std::uint16_t address = 0;
  std::uint16_t value = 0;  // quantity for reads; 0xFF00 (on) or 0x0000 (off) for FC 05

  static Request read_coils(int unit, int address, int count);
  static Request read_inputs(int unit, int address, int count);
  static Request write_coil(int unit, int address, bool on);
  // unit, function, address, value: the form modbus_send_raw_request takes.
  std::array<std::uint8_t, 6> raw() const;
};

// 0 when adu (a whole frame as modbus_receive_confirmation returns it, header
// and RTU CRC included) is the answer to req. Otherwise the libmodbus errno
// that says why: MODBUS_ENOBASE + code for a Modbus exception, EMBBADEXC for
// an exception code outside 1..11, EMBBADSLAVE for an answer from another
// unit, EMBBADDATA for anything else that does not fit the request (function,
// length, byte count, echo, MBAP transaction or protocol id).
int check_answer(Framing framing, const Request& req, std::span<const std::uint8_t> adu);

// The bits of a read answer that passed check_answer, index 0 = req.address.
std::vector<bool> answer_bits(Framing framing, const Request& req,
                              std::span<const std::uint8_t> adu);

}  // namespace gatehouse::controller::doors
