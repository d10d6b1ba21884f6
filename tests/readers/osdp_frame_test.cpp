// OSDP framing: check characters, parser recovery, builder round trips.
//
// The CRC and checksum vectors are the worked examples of SIA OSDP v2.2,
// Annex E, as reproduced (values only) in libosdp's
// tests/unit-tests/test-sc-sia-vectors.c: an osdp_COMSET to the broadcast
// address and an osdp_ID to address 0. The "123456789" check value 0xE5CC is
// the CRC catalogue's (reveng) for CRC-16/SPI-FUJITSU, alias AUG-CCITT.
#include "readers/osdp_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "readers/osdp_codes.h"
#include "readers/osdp_crc.h"

namespace gatehouse::readers::osdp {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Annex E: osdp_COMSET (address 0, 9600 baud) broadcast, CRC; and osdp_ID, CRC.
const Bytes kComsetCrc = {0x53, 0x7F, 0x0D, 0x00, 0x04, 0x6E, 0x00, 0x80, 0x25, 0x00, 0x00, 0x6E, 0x38};
const Bytes kIdCrc = {0x53, 0x00, 0x09, 0x00, 0x04, 0x61, 0x00, 0xC0, 0x66};
// The same two with the checksum.
const Bytes kComsetChecksum = {0x53, 0x7F, 0x0C, 0x00, 0x00, 0x6E, 0x00, 0x80, 0x25, 0x00, 0x00, 0x0F};
const Bytes kIdChecksum = {0x53, 0x00, 0x08, 0x00, 0x00, 0x61, 0x00, 0x44};

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What a link layer does with a receive buffer: parse until it must wait.
struct Drained {
  std::vector<Packet> packets;
  std::vector<SkipReason> skips;
  std::size_t left = 0;  // bytes still buffered, waiting for more
};

Drained drain(Bytes buffer, ParseOptions options = {}) {
  Drained d;
  for (;;) {
    ParseResult r = parse_packet(buffer, options);
    if (r.status == ParseStatus::kWait) break;
    EXPECT_GE(r.consumed, 1U);
    EXPECT_LE(r.consumed, buffer.size());
    if (r.status == ParseStatus::kPacket) d.packets.push_back(r.packet);
    if (r.status == ParseStatus::kSkip) d.skips.push_back(r.reason);
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  }
  d.left = buffer.size();
  return d;
}

Bytes built(const Packet& p) {
  Result<Bytes> b = build_packet(p);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
  return b.ok() ? b.value() : Bytes{};
}

TEST(OsdpCrc, AnnexEVectors) {
  const Bytes msg1(kComsetCrc.begin(), kComsetCrc.end() - 2);
  const Bytes msg2(kIdCrc.begin(), kIdCrc.end() - 2);
  EXPECT_EQ(crc16(msg1), 0x386E);  // sent 6E 38
  EXPECT_EQ(crc16(msg2), 0x66C0);  // sent C0 66
}

TEST(OsdpCrc, CatalogueCheckValue) {
  constexpr std::string_view kCheck = "123456789";
  Bytes bytes(kCheck.begin(), kCheck.end());
  EXPECT_EQ(crc16(bytes), 0xE5CC);
  EXPECT_EQ(crc16(Bytes{}), 0x1D0F);  // the initial value, untouched
}

TEST(OsdpChecksum, AnnexEVectors) {
  EXPECT_EQ(checksum8(Bytes(kComsetChecksum.begin(), kComsetChecksum.end() - 1)), 0x0F);
  EXPECT_EQ(checksum8(Bytes(kIdChecksum.begin(), kIdChecksum.end() - 1)), 0x44);
  // The defining property: covered bytes plus checksum sum to 0 mod 256.
  unsigned sum = 0;
  for (auto b : kComsetChecksum) sum += b;
  EXPECT_EQ(sum % 256, 0U);
}

TEST(OsdpParse, AnnexEPackets) {
  ParseResult r = parse_packet(kComsetCrc);
  ASSERT_EQ(r.status, ParseStatus::kPacket);
  EXPECT_EQ(r.consumed, kComsetCrc.size());
  EXPECT_EQ(r.packet.address, kBroadcastAddress);
  EXPECT_FALSE(r.packet.is_reply);
  EXPECT_EQ(r.packet.sequence, 0);
  EXPECT_TRUE(r.packet.use_crc);
  EXPECT_FALSE(r.packet.security.has_value());
  EXPECT_FALSE(r.packet.mac.has_value());
  EXPECT_EQ(r.packet.code, cmd::kComset);
  EXPECT_EQ(r.packet.data, (Bytes{0x00, 0x80, 0x25, 0x00, 0x00}));  // address 0, 9600 baud LE

  r = parse_packet(kIdChecksum);
  ASSERT_EQ(r.status, ParseStatus::kPacket);
  EXPECT_EQ(r.packet.address, 0);
  EXPECT_FALSE(r.packet.use_crc);
  EXPECT_EQ(r.packet.code, cmd::kId);
  EXPECT_EQ(r.packet.data, Bytes{0x00});
}

TEST(OsdpBuild, ReproducesAnnexEPackets) {
  Packet comset;
  comset.address = kBroadcastAddress;
  comset.code = cmd::kComset;
  comset.data = {0x00, 0x80, 0x25, 0x00, 0x00};
  EXPECT_EQ(built(comset), kComsetCrc);
  comset.use_crc = false;
  EXPECT_EQ(built(comset), kComsetChecksum);

  Packet id;
  id.code = cmd::kId;
  id.data = {0x00};
  EXPECT_EQ(built(id), kIdCrc);
  id.use_crc = false;
  EXPECT_EQ(built(id), kIdChecksum);
}

TEST(OsdpParse, OneByteAtATimeWaitsUntilComplete) {
  for (const Bytes* packet : {&kComsetCrc, &kIdChecksum}) {
    Bytes buffer;
    for (std::size_t i = 0; i < packet->size(); ++i) {
      buffer.push_back((*packet)[i]);
      ParseResult r = parse_packet(buffer);
      if (i + 1 < packet->size()) {
        ASSERT_EQ(r.status, ParseStatus::kWait) << "after " << i + 1 << " bytes";
        EXPECT_EQ(r.consumed, 0U);
      } else {
        ASSERT_EQ(r.status, ParseStatus::kPacket);
        EXPECT_EQ(r.consumed, packet->size());
      }
    }
  }
  EXPECT_EQ(parse_packet(Bytes{}).status, ParseStatus::kWait);
}

TEST(OsdpParse, GarbageBeforeStartIsSkippedToTheStartByte) {
  ParseResult r = parse_packet(cat({0x00, 0x12, 0xFF}, kIdCrc));
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.consumed, 3U);
  EXPECT_EQ(r.reason, SkipReason::kNoise);

  // Mark bytes are normal traffic, counted apart from noise.
  r = parse_packet(cat({0xFF}, kIdCrc));
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.consumed, 1U);
  EXPECT_EQ(r.reason, SkipReason::kMarkBytes);

  // No start byte at all: everything goes.
  r = parse_packet(Bytes{0x01, 0x02, 0x03});
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.consumed, 3U);

  Drained d = drain(cat({0x00, 0x12, 0xFF}, kIdCrc));
  ASSERT_EQ(d.packets.size(), 1U);
  EXPECT_EQ(d.packets[0].code, cmd::kId);
  EXPECT_EQ(d.left, 0U);
}

TEST(OsdpParse, BadCrcResyncsAtTheNextStartByte) {
  Bytes bad = kComsetCrc;
  bad.back() ^= 0x01;
  ParseResult r = parse_packet(bad);
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kBadCheck);
  EXPECT_EQ(r.consumed, bad.size());  // no other 0x53 inside it

  // A good packet right behind the bad one is still found.
  Drained d = drain(cat(bad, kIdCrc));
  ASSERT_EQ(d.packets.size(), 1U);
  EXPECT_EQ(d.packets[0].code, cmd::kId);
  EXPECT_EQ(d.skips, std::vector<SkipReason>{SkipReason::kBadCheck});

  Bytes bad_sum = kIdChecksum;
  bad_sum.back() ^= 0x80;
  r = parse_packet(bad_sum);
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kBadCheck);
}

TEST(OsdpParse, BadLengthAndTooLongResyncWithoutWaiting) {
  // LEN 3: shorter than any packet. Decided from the header alone.
  ParseResult r = parse_packet(Bytes{0x53, 0x00, 0x03, 0x00, 0x04});
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kBadLength);
  EXPECT_EQ(r.consumed, 5U);

  // LEN 1441: over the default limit of 1440.
  r = parse_packet(Bytes{0x53, 0x00, 0xA1, 0x05, 0x04, 0x60});
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kTooLong);
  EXPECT_EQ(r.consumed, 6U);

  // A limit of 12 refuses the 13-byte COMSET (all of it goes: it holds no
  // other start byte) and takes the 9-byte ID.
  ParseOptions small{12};
  r = parse_packet(kComsetCrc, small);
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kTooLong);
  EXPECT_EQ(r.consumed, kComsetCrc.size());
  EXPECT_EQ(parse_packet(kIdCrc, small).status, ParseStatus::kPacket);

  // The next SOM in the buffer bounds the skip.
  r = parse_packet(cat({0x53, 0x00, 0x02, 0x00, 0x04, 0x99}, kIdCrc));
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.consumed, 6U);

  // Reserved CTRL bits.
  Packet p;
  p.code = cmd::kPoll;
  Bytes reserved = built(p);
  reserved[4] |= 0x10;
  r = parse_packet(reserved);
  ASSERT_EQ(r.status, ParseStatus::kSkip);
  EXPECT_EQ(r.reason, SkipReason::kReservedBits);
}

TEST(OsdpParse, TruncatedPacketWaits) {
  for (std::size_t n = 1; n < kComsetCrc.size(); ++n) {
    ParseResult r = parse_packet(Bytes(kComsetCrc.begin(), kComsetCrc.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_EQ(r.status, ParseStatus::kWait) << n;
  }
}

TEST(OsdpParse, TwoPacketsBackToBack) {
  Bytes both = cat(kComsetCrc, kIdChecksum);
  ParseResult r = parse_packet(both);
  ASSERT_EQ(r.status, ParseStatus::kPacket);
  EXPECT_EQ(r.consumed, kComsetCrc.size());
  Drained d = drain(cat(both, kIdCrc));
  ASSERT_EQ(d.packets.size(), 3U);
  EXPECT_EQ(d.packets[0].code, cmd::kComset);
  EXPECT_EQ(d.packets[1].code, cmd::kId);
  EXPECT_FALSE(d.packets[1].use_crc);
  EXPECT_TRUE(d.packets[2].use_crc);
  EXPECT_TRUE(d.skips.empty());
}

Packet secure_packet(std::uint8_t type) {
  Packet p;
  p.address = 0x05;
  p.is_reply = (type % 2) == 0;
  p.sequence = 2;
  p.security = SecurityBlock{type, {}};
  p.code = p.is_reply ? reply::kRaw : cmd::kLed;
  p.data = {0x01, 0x53, 0x02, 0xFF, 0x00};  // an 0x53 inside the data on purpose
  if (scb_type_has_mac(type)) p.mac = Mac{0xDE, 0xAD, 0xBE, 0xEF};
  return p;
}

TEST(OsdpParse, EverySingleBitErrorIsRejected) {
  std::vector<Packet> originals;
  originals.push_back(parse_packet(kComsetCrc).packet);
  originals.push_back(parse_packet(kComsetChecksum).packet);
  originals.push_back(secure_packet(scs::k17));
  Packet sum = secure_packet(scs::k16);
  sum.use_crc = false;
  originals.push_back(sum);

  for (const Packet& original : originals) {
    const Bytes good = built(original);
    for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
      Bytes bad = good;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
      Drained d = drain(bad);
      EXPECT_TRUE(d.packets.empty()) << "bit " << bit << " of a " << good.size() << "-byte packet";
    }
  }
}

TEST(OsdpRoundTrip, CrcAndChecksumWithAndWithoutSecurityBlock) {
  std::vector<Packet> cases;
  Packet plain;
  plain.address = 0x7E;
  plain.sequence = 3;
  plain.code = cmd::kPoll;
  cases.push_back(plain);
  Packet reply_packet;
  reply_packet.address = 0x01;
  reply_packet.is_reply = true;
  reply_packet.sequence = 1;
  reply_packet.code = reply::kAck;
  cases.push_back(reply_packet);
  Packet chlng;
  chlng.sequence = 1;
  chlng.security = SecurityBlock{scs::k11, {0x00}};  // SCBK-D requested
  chlng.code = cmd::kChlng;
  chlng.data = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7};
  cases.push_back(chlng);
  for (std::uint8_t type : {scs::k15, scs::k16, scs::k17, scs::k18}) cases.push_back(secure_packet(type));
  Packet big;
  big.code = cmd::kText;
  big.data.assign(1440 - 8, 0x53);
  cases.push_back(big);

  for (Packet p : cases) {
    for (bool crc : {true, false}) {
      p.use_crc = crc;
      Bytes bytes = built(p);
      ParseResult r = parse_packet(bytes);
      ASSERT_EQ(r.status, ParseStatus::kPacket) << skip_reason_name(r.reason);
      EXPECT_EQ(r.consumed, bytes.size());
      EXPECT_EQ(r.packet, p);
      EXPECT_EQ(r.mac_input_bytes, bytes.size() - (crc ? 2 : 1) - (p.mac ? 4 : 0));
      EXPECT_EQ(built(r.packet), bytes);
    }
  }
}

TEST(OsdpBuild, Refusals) {
  Packet p;
  p.code = cmd::kPoll;
  p.address = 0x80;
  EXPECT_FALSE(build_packet(p).ok());
  p.address = 0;
  p.sequence = 4;
  EXPECT_FALSE(build_packet(p).ok());
  p.sequence = 0;
  p.mac = Mac{};
  EXPECT_FALSE(build_packet(p).ok());  // MAC without a block that carries one
  p.security = SecurityBlock{scs::k11, {}};
  EXPECT_FALSE(build_packet(p).ok());
  p.security = SecurityBlock{scs::k15, {}};
  EXPECT_TRUE(build_packet(p).ok());
  p.mac.reset();
  EXPECT_FALSE(build_packet(p).ok());  // SCS_15 without its MAC
  p.security.reset();
  p.data.assign(1440 - 7, 0);  // 1441 bytes with CRC
  Result<Bytes> r = build_packet(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  p.use_crc = false;  // 1440 with the checksum: fits
  EXPECT_TRUE(build_packet(p).ok());
  EXPECT_FALSE(build_packet(p, 128).ok());
}

TEST(OsdpBuild, MacCallbackSeesTheFinalHeader) {
  Packet p = secure_packet(scs::k15);
  Bytes seen;
  Result<Bytes> bytes = build_packet_with_mac(p, [&seen](std::span<const std::uint8_t> in) -> Result<Mac> {
    seen.assign(in.begin(), in.end());
    return Mac{1, 2, 3, 4};
  });
  ASSERT_TRUE(bytes.ok());
  ParseResult r = parse_packet(*bytes);
  ASSERT_EQ(r.status, ParseStatus::kPacket);
  EXPECT_EQ(r.packet.mac, (Mac{1, 2, 3, 4}));
  EXPECT_EQ(seen, Bytes(bytes->begin(), bytes->begin() + static_cast<std::ptrdiff_t>(r.mac_input_bytes)));
  EXPECT_EQ(seen[2] | (seen[3] << 8), static_cast<int>(bytes->size()));  // LEN final

  // An error from the MAC function is passed on.
  Result<Bytes> failed = build_packet_with_mac(p, [](std::span<const std::uint8_t>) -> Result<Mac> {
    return make_error(ErrorKind::kInternal, "no session");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "no session");
}

TEST(OsdpParse, BadSecurityBlockSkipsTheWholePacket) {
  // Hand-made with a correct CRC: SEC_BLK_LEN 1, then 5, then an SCS_15
  // block with no room left for its MAC.
  for (const Bytes& head : {Bytes{0x53, 0x00, 0x00, 0x00, 0x0C, 0x01, 0x60},
                            Bytes{0x53, 0x00, 0x00, 0x00, 0x0C, 0x05, 0x11, 0x00, 0x60},
                            Bytes{0x53, 0x00, 0x00, 0x00, 0x0C, 0x02, 0x15, 0x60, 0x01}}) {
    Bytes bytes = head;
    bytes[2] = static_cast<std::uint8_t>(bytes.size() + 2);
    std::uint16_t crc = crc16(bytes);
    bytes.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    bytes.push_back(static_cast<std::uint8_t>(crc >> 8));
    ParseResult r = parse_packet(cat(bytes, kIdCrc));
    ASSERT_EQ(r.status, ParseStatus::kSkip);
    EXPECT_EQ(r.reason, SkipReason::kBadSecurityBlock);
    EXPECT_EQ(r.consumed, bytes.size());
  }
}

}  // namespace
}  // namespace gatehouse::readers::osdp
