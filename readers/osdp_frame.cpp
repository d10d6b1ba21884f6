#include "readers/osdp_frame.h"

#include <algorithm>
#include <string>
#include <utility>

#include "readers/osdp_crc.h"

namespace gatehouse::readers::osdp {
namespace {

std::size_t check_bytes(bool use_crc) { return use_crc ? 2 : 1; }

ParseResult skip(std::size_t count, SkipReason reason) {
  ParseResult r;
  r.status = ParseStatus::kSkip;
  r.consumed = count;
  r.reason = reason;
  return r;
}

// Resynchronise at the next start byte: drop the SOM at buffer[0] and
// everything up to (not including) the next SOM, or the whole buffer.
ParseResult resync(std::span<const std::uint8_t> buffer, SkipReason reason) {
  auto next = std::find(buffer.begin() + 1, buffer.end(), kStartOfMessage);
  return skip(static_cast<std::size_t>(next - buffer.begin()), reason);
}

Error invalid(std::string message) { return make_error(ErrorKind::kInvalidInput, std::move(message)); }

// Everything but the check characters; a MAC-carrying packet gets `mac`, or a
// placeholder the caller patches.
Result<std::vector<std::uint8_t>> encode_without_check(const Packet& p, std::size_t max_packet_bytes) {
  if (p.address > 0x7F) return invalid("OSDP address over 0x7F");
  if (p.sequence > kCtrlSequenceMask) return invalid("OSDP sequence number over 3");
  const bool wants_mac = p.security.has_value() && scb_type_has_mac(p.security->type);
  if (p.mac.has_value() != wants_mac) {
    return invalid(wants_mac ? "OSDP security block type 0x15..0x18 needs a MAC"
                             : "OSDP MAC without a security block of type 0x15..0x18");
  }
  if (p.security && p.security->data.size() > 253) {
    return invalid("OSDP security block data over 253 bytes");
  }

  std::size_t total = kHeaderBytes + 1 + p.data.size() + check_bytes(p.use_crc);
  if (p.security) total += 2 + p.security->data.size();
  if (p.mac) total += kMacBytes;
  if (total > max_packet_bytes || total > 0xFFFF) {
    std::string message = "OSDP packet of ";
    message += std::to_string(total);
    message += " bytes over the limit of ";
    message += std::to_string(std::min<std::size_t>(max_packet_bytes, 0xFFFF));
    return invalid(std::move(message));
  }

  std::vector<std::uint8_t> out;
  out.reserve(total);
  out.push_back(kStartOfMessage);
  out.push_back(static_cast<std::uint8_t>(p.address | (p.is_reply ? kReplyAddressBit : 0)));
  out.push_back(static_cast<std::uint8_t>(total & 0xFF));
  out.push_back(static_cast<std::uint8_t>(total >> 8));
  std::uint8_t ctrl = p.sequence;
  if (p.use_crc) ctrl |= kCtrlCrc;
  if (p.security) ctrl |= kCtrlSecurityBlock;
  out.push_back(ctrl);
  if (p.security) {
    out.push_back(static_cast<std::uint8_t>(p.security->data.size() + 2));
    out.push_back(p.security->type);
    out.insert(out.end(), p.security->data.begin(), p.security->data.end());
  }
  out.push_back(p.code);
  out.insert(out.end(), p.data.begin(), p.data.end());
  if (p.mac) out.insert(out.end(), p.mac->begin(), p.mac->end());
  return out;
}

void append_check(std::vector<std::uint8_t>& out, bool use_crc) {
  if (use_crc) {
    std::uint16_t crc = crc16(out);
    out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    out.push_back(static_cast<std::uint8_t>(crc >> 8));
  } else {
    out.push_back(checksum8(out));
  }
}

}  // namespace

std::string_view skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone: return "none";
    case SkipReason::kMarkBytes: return "mark_bytes";
    case SkipReason::kNoise: return "noise";
    case SkipReason::kBadLength: return "bad_length";
    case SkipReason::kTooLong: return "too_long";
    case SkipReason::kReservedBits: return "reserved_bits";
    case SkipReason::kBadCheck: return "bad_check";
    case SkipReason::kBadSecurityBlock: return "bad_security_block";
  }
  return "unknown";
}

ParseResult parse_packet(std::span<const std::uint8_t> buffer, const ParseOptions& options) {
  if (buffer.empty()) return ParseResult{};
  if (buffer[0] != kStartOfMessage) {
    auto som = std::find(buffer.begin(), buffer.end(), kStartOfMessage);
    bool all_marks = std::all_of(buffer.begin(), som, [](std::uint8_t b) { return b == kMarkByte; });
    return skip(static_cast<std::size_t>(som - buffer.begin()),
                all_marks ? SkipReason::kMarkBytes : SkipReason::kNoise);
  }
  if (buffer.size() < kHeaderBytes) return ParseResult{};

  const std::uint8_t ctrl = buffer[4];
  const bool use_crc = (ctrl & kCtrlCrc) != 0;
  const std::size_t check = check_bytes(use_crc);
  const std::size_t length = std::size_t{buffer[2]} | (std::size_t{buffer[3]} << 8);
  if ((ctrl & kCtrlReservedMask) != 0) return resync(buffer, SkipReason::kReservedBits);
  if (length < kHeaderBytes + 1 + check) return resync(buffer, SkipReason::kBadLength);
  if (length > options.max_packet_bytes) return resync(buffer, SkipReason::kTooLong);
  if (buffer.size() < length) return ParseResult{};

  std::span<const std::uint8_t> bytes = buffer.first(length);
  std::span<const std::uint8_t> covered = bytes.first(length - check);
  const bool check_ok = use_crc ? (crc16(covered) == (std::uint16_t{bytes[length - 2]} |
                                                      (std::uint16_t{bytes[length - 1]} << 8)))
                                : checksum8(covered) == bytes[length - 1];
  if (!check_ok) return resync(buffer, SkipReason::kBadCheck);

  ParseResult r;
  Packet& p = r.packet;
  p.address = buffer[1] & 0x7F;
  p.is_reply = (buffer[1] & kReplyAddressBit) != 0;
  p.sequence = ctrl & kCtrlSequenceMask;
  p.use_crc = use_crc;

  std::size_t pos = kHeaderBytes;
  std::size_t mac_bytes = 0;
  if ((ctrl & kCtrlSecurityBlock) != 0) {
    // The fixed minimum length guarantees buffer[5] is inside `covered`.
    const std::size_t scb_length = bytes[pos];
    if (scb_length < 2) return skip(length, SkipReason::kBadSecurityBlock);
    // SEC_BLK_LEN bytes, then the code, then the MAC must fit before the check.
    if (pos + scb_length + 1 > covered.size()) return skip(length, SkipReason::kBadSecurityBlock);
    SecurityBlock scb;
    scb.type = bytes[pos + 1];
    scb.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(pos + 2),
                    bytes.begin() + static_cast<std::ptrdiff_t>(pos + scb_length));
    if (scb_type_has_mac(scb.type)) mac_bytes = kMacBytes;
    if (pos + scb_length + 1 + mac_bytes > covered.size()) {
      return skip(length, SkipReason::kBadSecurityBlock);
    }
    p.security = std::move(scb);
    pos += scb_length;
  }
  p.code = bytes[pos++];
  const std::size_t data_end = covered.size() - mac_bytes;
  p.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                bytes.begin() + static_cast<std::ptrdiff_t>(data_end));
  if (mac_bytes != 0) {
    Mac mac{};
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(data_end), kMacBytes, mac.begin());
    p.mac = mac;
  }
  r.status = ParseStatus::kPacket;
  r.consumed = length;
  r.mac_input_bytes = data_end;
  return r;
}

Result<std::vector<std::uint8_t>> build_packet(const Packet& packet, std::size_t max_packet_bytes) {
  Result<std::vector<std::uint8_t>> out = encode_without_check(packet, max_packet_bytes);
  if (!out.ok()) return out;
  append_check(out.value(), packet.use_crc);
  return out;
}

Result<std::vector<std::uint8_t>> build_packet_with_mac(Packet packet, const MacFunction& mac_of,
                                                        std::size_t max_packet_bytes) {
  const bool wants_mac = packet.security.has_value() && scb_type_has_mac(packet.security->type);
  if (!wants_mac) {
    packet.mac.reset();
    return build_packet(packet, max_packet_bytes);
  }
  packet.mac = Mac{};  // placeholder: LEN must be final before the MAC is computed
  Result<std::vector<std::uint8_t>> out = encode_without_check(packet, max_packet_bytes);
  if (!out.ok()) return out;
  std::vector<std::uint8_t>& bytes = out.value();
  const std::size_t mac_at = bytes.size() - kMacBytes;
  Result<Mac> mac = mac_of(std::span<const std::uint8_t>(bytes).first(mac_at));
  if (!mac.ok()) return mac.error();
  std::copy(mac->begin(), mac->end(), bytes.begin() + static_cast<std::ptrdiff_t>(mac_at));
  append_check(bytes, packet.use_crc);
  return out;
}

}  // namespace gatehouse::readers::osdp
