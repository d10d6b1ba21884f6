// OSDP v2.2 framing (the physical layer of libosdp's osdp_phy.c): bytes in,
// packets out, and packets in, bytes out. No transport, no Secure Channel
// maths, no sequence-number or address policy: those belong to the layers
// above (osdp_sc.h for the MAC and encryption, the CP/PD state machines for
// sequence numbers, addresses and retries). docs/osdp.md describes the profile.
//
// Packet on the wire:
//   SOM 0x53 | ADDR | LEN_LSB | LEN_MSB | CTRL | [SEC_BLK_LEN SEC_BLK_TYPE data..]
//   | CMD/REPLY | DATA.. | [MAC 4 bytes] | CRC-16 LE (2) or checksum (1)
// LEN counts every byte from the SOM to the last check byte.
//
// Everything here is a pure function of its arguments: callable from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "readers/osdp_codes.h"

namespace gatehouse::readers::osdp {

// The largest packet SIA OSDP v2.2 allows a device to send (1440 bytes, both
// directions). A PD may advertise a smaller receive buffer in osdp_PDCAP; the
// CP then passes that as the limit.
inline constexpr std::size_t kDefaultMaxPacketBytes = 1440;
inline constexpr std::size_t kMacBytes = 4;
inline constexpr std::size_t kHeaderBytes = 5;  // SOM, ADDR, LEN_LSB, LEN_MSB, CTRL

using Mac = std::array<std::uint8_t, kMacBytes>;

struct SecurityBlock {
  std::uint8_t type = 0;            // SEC_BLK_TYPE, osdp::scs::k11..k18
  std::vector<std::uint8_t> data;   // SEC_BLK_DATA; SEC_BLK_LEN = data.size() + 2

  friend bool operator==(const SecurityBlock&, const SecurityBlock&) = default;
};

struct Packet {
  std::uint8_t address = 0;   // 7 bits; 0x7F is broadcast
  bool is_reply = false;      // bit 7 of ADDR: set on PD -> CP packets
  std::uint8_t sequence = 0;  // 0..3
  bool use_crc = true;        // CRC-16; false: 8-bit checksum (older readers)
  std::optional<SecurityBlock> security;
  std::uint8_t code = 0;      // command or reply code (osdp::cmd, osdp::reply)
  std::vector<std::uint8_t> data;  // as on the wire: still encrypted under SCS_17/18
  // Present exactly when the security block type is SCS_15..SCS_18.
  std::optional<Mac> mac;

  friend bool operator==(const Packet&, const Packet&) = default;
};

// What the parser decided about the start of the buffer.
enum class ParseStatus {
  kPacket,  // a whole, well-checked packet starts at buffer[0]; drop `consumed` bytes
  kWait,    // the buffer holds the start of a packet: read more bytes and call again
  kSkip,    // drop `consumed` bytes (at least one) and call again
};

// Why bytes were skipped: each is a counter the link layer keeps, so a noisy
// line shows up in the statistics instead of in silence.
enum class SkipReason {
  kNone,
  kMarkBytes,      // 0xFF mark bytes before a SOM: normal line traffic, not an error
  kNoise,          // other bytes before a SOM (line noise, a packet joined mid-way)
  kBadLength,      // LEN smaller than the smallest possible packet
  kTooLong,        // LEN larger than the limit
  kReservedBits,   // CTRL bits 4-7 set
  kBadCheck,       // CRC-16 or checksum mismatch
  kBadSecurityBlock,  // SEC_BLK_LEN < 2, or the SCB (and MAC) do not fit in LEN
};

std::string_view skip_reason_name(SkipReason reason);

struct ParseResult {
  ParseStatus status = ParseStatus::kWait;
  // kPacket: the packet's length; kSkip: bytes to drop (>= 1); kWait: 0.
  std::size_t consumed = 0;
  SkipReason reason = SkipReason::kNone;  // set for kSkip only
  Packet packet;                          // set for kPacket only
  // kPacket: how many leading bytes of the packet the MAC covers (SOM up to
  // the byte before the MAC); osdp_sc verifies buffer.first(mac_input_bytes).
  std::size_t mac_input_bytes = 0;
};

struct ParseOptions {
  std::size_t max_packet_bytes = kDefaultMaxPacketBytes;
};

// Looks at the start of `buffer` (the bytes received and not yet consumed).
// Recovery, as the caller should apply it:
//   - bytes before a SOM: kSkip of all of them (kMarkBytes or kNoise);
//   - a header whose LEN is impossible or over the limit, reserved CTRL bits,
//     or a bad CRC/checksum: kSkip up to the next SOM in the buffer (or all of
//     it), because the LEN itself may be the corrupted byte: resync at the
//     next start byte rather than trusting it;
//   - a packet whose check characters are right but whose security block does
//     not fit: kSkip of the whole packet (its framing is trustworthy);
//   - fewer bytes than LEN says: kWait. A corrupted LEN can make the parser
//     wait for bytes that never come; the link layer drops its buffer when the
//     inter-character timeout expires (OSDP: nominally 20 ms).
// Addresses and sequence numbers are not checked: the packet carries them.
ParseResult parse_packet(std::span<const std::uint8_t> buffer, const ParseOptions& options = {});

// The bytes of `packet`. Refuses (kInvalidInput) an address over 0x7F, a
// sequence over 3, a MAC present without an SCS_15..18 block or missing with
// one, SEC_BLK_DATA over 253 bytes, and a result over `max_packet_bytes`.
Result<std::vector<std::uint8_t>> build_packet(const Packet& packet,
                                               std::size_t max_packet_bytes = kDefaultMaxPacketBytes);

// As build_packet, but computes the MAC of an SCS_15..18 packet: `mac_of` gets
// the packet's bytes from the SOM up to the MAC (LEN already final) and returns
// the MAC, or an error that build_packet_with_mac passes on. `packet.mac` is
// ignored. For a packet without a MAC-carrying block, same as build_packet.
using MacFunction = std::function<Result<Mac>(std::span<const std::uint8_t> mac_input)>;
Result<std::vector<std::uint8_t>> build_packet_with_mac(
    Packet packet, const MacFunction& mac_of,
    std::size_t max_packet_bytes = kDefaultMaxPacketBytes);

}  // namespace gatehouse::readers::osdp
