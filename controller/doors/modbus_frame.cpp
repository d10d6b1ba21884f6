#include "controller/doors/modbus_frame.h"

#include <modbus/modbus.h>

namespace gatehouse::controller::doors {
namespace {

// Where the function code sits and how many checksum bytes follow the PDU.
std::size_t header_length(Framing f) {
  return f == Framing::kTcp ? 7 : 1;
}
std::size_t checksum_length(Framing f) {
  return f == Framing::kTcp ? 0 : 2;
}

std::uint16_t be16(std::span<const std::uint8_t> adu, std::size_t at) {
  return static_cast<std::uint16_t>((adu[at] << 8) | adu[at + 1]);
}

// An ADU of exactly pdu_length PDU bytes (function code included)?
bool has_pdu_length(Framing f, std::span<const std::uint8_t> adu, std::size_t pdu_length) {
  return adu.size() == header_length(f) + pdu_length + checksum_length(f);
}

}  // namespace

Request Request::read_coils(int unit, int address, int count) {
  return Request{static_cast<std::uint8_t>(unit), kReadCoils, static_cast<std::uint16_t>(address),
                 static_cast<std::uint16_t>(count)};
}

Request Request::read_inputs(int unit, int address, int count) {
  return Request{static_cast<std::uint8_t>(unit), kReadDiscreteInputs,
                 static_cast<std::uint16_t>(address), static_cast<std::uint16_t>(count)};
}

Request Request::write_coil(int unit, int address, bool on) {
  return Request{static_cast<std::uint8_t>(unit), kWriteSingleCoil,
                 static_cast<std::uint16_t>(address), static_cast<std::uint16_t>(on ? 0xFF00 : 0)};
}

std::array<std::uint8_t, 6> Request::raw() const {
  return {unit,
          function,
          static_cast<std::uint8_t>(address >> 8),
          static_cast<std::uint8_t>(address & 0xFF),
          static_cast<std::uint8_t>(value >> 8),
          static_cast<std::uint8_t>(value & 0xFF)};
}

int check_answer(Framing framing, const Request& req, std::span<const std::uint8_t> adu) {
  const std::size_t h = header_length(framing);
  if (adu.size() < h + 1 + checksum_length(framing)) return EMBBADDATA;
  if (framing == Framing::kTcp) {
    // modbus_send_raw_request sends transaction id 0; the protocol id is 0 for
    // Modbus; the length field counts the unit id and the PDU.
    if (be16(adu, 0) != 0 || be16(adu, 2) != 0) return EMBBADDATA;
    if (be16(adu, 4) != adu.size() - 6) return EMBBADDATA;
  }
  if (adu[h - 1] != req.unit) return EMBBADSLAVE;

  const std::uint8_t function = adu[h];
  if (function == (req.function | 0x80)) {
    if (!has_pdu_length(framing, adu, 2)) return EMBBADEXC;
    const int code = adu[h + 1];
    if (code < 1 || code >= MODBUS_EXCEPTION_MAX) return EMBBADEXC;
    return MODBUS_ENOBASE + code;
  }
  if (function != req.function) return EMBBADDATA;

  switch (req.function) {
    case kReadCoils:
    case kReadDiscreteInputs: {
      const std::size_t bytes = (req.value + 7u) / 8u;
      if (adu.size() < h + 2 || adu[h + 1] != bytes) return EMBBADDATA;
      if (!has_pdu_length(framing, adu, 2 + bytes)) return EMBBADDATA;
      return 0;
    }
    case kWriteSingleCoil:
      // The answer echoes the request.
      if (!has_pdu_length(framing, adu, 5)) return EMBBADDATA;
      if (be16(adu, h + 1) != req.address || be16(adu, h + 3) != req.value) return EMBBADDATA;
      return 0;
    default:
      return EMBBADDATA;
  }
}

std::vector<bool> answer_bits(Framing framing, const Request& req,
                              std::span<const std::uint8_t> adu) {
  const std::size_t first = header_length(framing) + 2;
  std::vector<bool> bits(req.value);
  for (std::size_t i = 0; i < bits.size(); ++i) {
    bits[i] = ((adu[first + i / 8] >> (i % 8)) & 1) != 0;
  }
  return bits;
}

}  // namespace gatehouse::controller::doors
