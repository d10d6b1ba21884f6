// OSDP Secure Channel cryptography.
//
// Where the expected values come from (none is computed by the code under test):
//  - Session keys, cryptograms and RMAC_I: SIA OSDP v2.2 Annex E, with SCBK-D,
//    RND.A = B0..B7 and RND.B = A0..A7, as reproduced (values only) in
//    libosdp's tests/unit-tests/test-sc-sia-vectors.c ("host cryptogram" =
//    server cryptogram, "client cryptogram" = client cryptogram). S-ENC was
//    also re-derived by hand:
//      printf 0182B0B1B2B3B4B50000000000000000 | xxd -r -p |
//        openssl enc -aes-128-ecb -nopad -K 303132333435363738393A3B3C3D3E3F | xxd -p
//  - MAC with S-MAC1 = S-MAC2: NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt):
//    a CBC-MAC of whole blocks is the last CBC ciphertext block.
//  - MAC with distinct keys, and the data encryption: computed in a shell with
//    the openssl 3.0 command line (Annex E keys, IV = RMAC_I or NOT RMAC_I):
//      enc() { echo -n "$3" | xxd -r -p |
//              openssl enc -aes-128-cbc -nopad -K "$1" -iv "$2" | xxd -p -c 64; }
//      enc $SMAC2 $RMACI 53000E000D0215608000000000000000        # one-block MAC
//      C1=$(enc $SMAC1 $RMACI 000102030405060708090A0B0C0D0E0F)  # two-block MAC,
//      enc $SMAC2 $C1 10111213800000000000000000000000            # last block
//      enc $SENC $NOTR 01020380000000000000000000000000          # data, 3 bytes
//    (padding written by hand: 0x80 then zeros).
#include "readers/osdp_sc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "readers/osdp_codes.h"
#include "readers/osdp_crc.h"
#include "readers/osdp_frame.h"

namespace gatehouse::readers::osdp {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr Random kRndA = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7};
constexpr Random kRndB = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7};
constexpr Key kSMac1 = {0x5E, 0x86, 0xC6, 0x76, 0x60, 0x3B, 0xDE, 0xE2,
                        0xD8, 0xBE, 0xAF, 0xE1, 0x78, 0x63, 0x73, 0x32};
constexpr Key kSMac2 = {0x6F, 0xDA, 0x86, 0xE8, 0x57, 0x77, 0x7E, 0x81,
                        0x13, 0x20, 0x35, 0x75, 0x82, 0x39, 0x17, 0x2E};
constexpr Key kSEnc = {0xBF, 0x8D, 0xC2, 0xA8, 0x32, 0x9A, 0xCB, 0x8C,
                       0x67, 0xC6, 0xD0, 0xCD, 0x9A, 0x45, 0x16, 0x82};
constexpr Block kServerCryptogram = {0x26, 0xD3, 0x35, 0x6E, 0x07, 0x76, 0x2D, 0x26,
                                     0x28, 0x01, 0xFC, 0x8E, 0x66, 0x65, 0xA8, 0x91};
constexpr Block kClientCryptogram = {0xFD, 0xE5, 0xD2, 0xF4, 0x28, 0xEC, 0x16, 0x31,
                                     0x24, 0x71, 0xEA, 0x3C, 0x02, 0xBD, 0x77, 0x96};
constexpr Block kRmacI = {0xB2, 0xA3, 0x00, 0x57, 0xEB, 0x98, 0xBA, 0x22,
                          0x29, 0xEC, 0x1F, 0x87, 0x56, 0x62, 0xB5, 0x24};

SessionKeys annex_e_keys() {
  SessionKeys k;
  k.s_enc = kSEnc;
  k.s_mac1 = kSMac1;
  k.s_mac2 = kSMac2;
  return k;
}

TEST(OsdpSc, DefaultKeyIsThePublishedOne) {
  for (std::size_t i = 0; i < kScbkDefault.size(); ++i) EXPECT_EQ(kScbkDefault[i], 0x30 + i);
}

TEST(OsdpSc, AnnexESessionKeys) {
  Result<SessionKeys> keys = derive_session_keys(kScbkDefault, kRndA);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->s_enc, kSEnc);
  EXPECT_EQ(keys->s_mac1, kSMac1);
  EXPECT_EQ(keys->s_mac2, kSMac2);
}

TEST(OsdpSc, AnnexECryptogramsAndInitialRmac) {
  SessionKeys keys = annex_e_keys();
  Result<Block> client = client_cryptogram(keys, kRndA, kRndB);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(*client, kClientCryptogram);
  Result<Block> server = server_cryptogram(keys, kRndA, kRndB);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(*server, kServerCryptogram);
  Result<Block> rmac = initial_rmac(keys, kServerCryptogram);
  ASSERT_TRUE(rmac.ok());
  EXPECT_EQ(*rmac, kRmacI);
}

TEST(OsdpSc, WrongKeyGivesACryptogramThatDoesNotMatch) {
  Key wrong = kScbkDefault;
  wrong[15] ^= 0x01;
  Result<SessionKeys> keys = derive_session_keys(wrong, kRndA);
  ASSERT_TRUE(keys.ok());
  EXPECT_NE(keys->s_enc, kSEnc);
  Result<Block> client = client_cryptogram(*keys, kRndA, kRndB);
  ASSERT_TRUE(client.ok());
  EXPECT_FALSE(equal_constant_time(*client, kClientCryptogram));
  EXPECT_TRUE(equal_constant_time(kClientCryptogram, kClientCryptogram));
  EXPECT_FALSE(equal_constant_time(Bytes{1, 2}, Bytes{1, 2, 3}));
  // Only the first 6 bytes of RND.A enter the keys; the rest is in the cryptograms.
  Random other = kRndA;
  other[7] ^= 0xFF;
  Result<SessionKeys> same = derive_session_keys(kScbkDefault, other);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->s_enc, kSEnc);
  other[5] ^= 0xFF;
  same = derive_session_keys(kScbkDefault, other);
  ASSERT_TRUE(same.ok());
  EXPECT_NE(same->s_enc, kSEnc);
}

TEST(OsdpSc, MacOfWholeBlocksIsCbcMacNistVectors) {
  // NIST SP 800-38A F.2.1.
  SessionKeys keys;
  keys.s_mac1 = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
  keys.s_mac2 = keys.s_mac1;
  const Block iv = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  const Bytes plaintext = {
      0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
      0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
      0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
      0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10};
  Result<Block> one = compute_mac(keys, iv, std::span<const std::uint8_t>(plaintext).first(16));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (Block{0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
                         0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d}));
  Result<Block> four = compute_mac(keys, iv, plaintext);
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(*four, (Block{0x3f, 0xf1, 0xca, 0xa1, 0x68, 0x1f, 0xac, 0x09,
                          0x12, 0x0e, 0xca, 0x30, 0x75, 0x86, 0xe1, 0xa7}));
}

TEST(OsdpSc, MacLastBlockUsesSMac2AndPadding) {
  SessionKeys keys = annex_e_keys();
  // The first secure osdp_POLL to address 0 (SQN 1, CRC, SCS_15): 8 bytes, one padded block.
  const Bytes poll = {0x53, 0x00, 0x0E, 0x00, 0x0D, 0x02, 0x15, 0x60};
  Result<Block> mac = compute_mac(keys, kRmacI, poll);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(*mac, (Block{0xdf, 0x88, 0x98, 0x23, 0x90, 0x32, 0xd0, 0x9d,
                         0x94, 0xce, 0x22, 0x21, 0x2a, 0x28, 0xa3, 0x1f}));
  // 20 bytes: one full block under S-MAC1, one padded block under S-MAC2.
  Bytes twenty;
  for (std::uint8_t i = 0; i < 20; ++i) twenty.push_back(i);
  mac = compute_mac(keys, kRmacI, twenty);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(*mac, (Block{0xb4, 0xc9, 0x4b, 0xd4, 0x1d, 0x63, 0xf6, 0x77,
                         0x4c, 0x1a, 0x77, 0xca, 0x29, 0xf9, 0x4b, 0x8f}));
}

TEST(OsdpSc, DataEncryptionVectorsAndRoundTrip) {
  SessionKeys keys = annex_e_keys();
  // IV = NOT RMAC_I = 4D5CFFA8146745DDD613E078A99D4ADB.
  Result<Bytes> c = encrypt_data(keys, kRmacI, Bytes{0x01, 0x02, 0x03});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (Bytes{0x79, 0xb2, 0x7f, 0x2d, 0xce, 0xc1, 0xb7, 0xf9,
                       0x37, 0xb9, 0xa6, 0x25, 0xd9, 0x05, 0x10, 0x64}));
  // 16 bytes of data take two blocks: the marker always goes in.
  Bytes sixteen;
  for (std::uint8_t i = 0; i < 16; ++i) sixteen.push_back(i);
  Result<Bytes> c16 = encrypt_data(keys, kRmacI, sixteen);
  ASSERT_TRUE(c16.ok());
  EXPECT_EQ(*c16, (Bytes{0x3c, 0xcb, 0x59, 0x3b, 0xa2, 0xd6, 0x1d, 0x19, 0x85, 0x28, 0x07,
                         0x0f, 0xc6, 0x7e, 0x8a, 0x48, 0xb5, 0x43, 0xdb, 0x0b, 0x03, 0xe9,
                         0xc4, 0xf0, 0xc8, 0x3b, 0x27, 0xd1, 0x57, 0xa1, 0x7b, 0x40}));
  Result<Bytes> c0 = encrypt_data(keys, kRmacI, Bytes{});
  ASSERT_TRUE(c0.ok());
  EXPECT_EQ(*c0, (Bytes{0xb5, 0x96, 0xae, 0x5b, 0x03, 0x8a, 0x99, 0xcf,
                        0x5b, 0xe4, 0x93, 0xca, 0x9a, 0xc3, 0xbd, 0x5e}));

  Result<Bytes> p = decrypt_data(keys, kRmacI, *c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (Bytes{0x01, 0x02, 0x03}));
  p = decrypt_data(keys, kRmacI, *c16);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, sixteen);
  p = decrypt_data(keys, kRmacI, *c0);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->empty());
  for (std::size_t n = 0; n < 40; ++n) {
    Bytes data(n, static_cast<std::uint8_t>(n));
    Result<Bytes> enc = encrypt_data(keys, kServerCryptogram, data);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(enc->size(), (n / 16 + 1) * 16);
    Result<Bytes> dec = decrypt_data(keys, kServerCryptogram, *enc);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(*dec, data);
  }
}

TEST(OsdpSc, DecryptRefusesBadLengthAndWrongKey) {
  SessionKeys keys = annex_e_keys();
  Result<Bytes> c = encrypt_data(keys, kRmacI, Bytes{0x01, 0x02, 0x03});
  ASSERT_TRUE(c.ok());
  Result<Bytes> p = decrypt_data(keys, kRmacI, Bytes(15, 0));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kInvalidInput);
  EXPECT_FALSE(decrypt_data(keys, kRmacI, Bytes{}).ok());

  SessionKeys wrong = keys;
  wrong.s_enc[0] ^= 0x01;
  p = decrypt_data(wrong, kRmacI, *c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "OSDP encrypted data block has bad padding");
  // A wrong IV garbles only the first block: padding in it fails too.
  EXPECT_FALSE(decrypt_data(keys, kServerCryptogram, *c).ok());
}

TEST(OsdpSc, ErrorMessagesNeverCarryKeyMaterial) {
  SessionKeys keys = annex_e_keys();
  SessionKeys wrong = keys;
  wrong.s_enc[0] ^= 0x01;
  Result<Bytes> c = encrypt_data(keys, kRmacI, Bytes{0x01});
  ASSERT_TRUE(c.ok());
  Result<Bytes> p = decrypt_data(wrong, kRmacI, *c);
  ASSERT_FALSE(p.ok());
  for (const std::string& message : {p.error().message, p.error().to_string()}) {
    EXPECT_EQ(message.find("BF8D"), std::string::npos);
    EXPECT_EQ(message.find("bf8d"), std::string::npos);
  }
}

// A CP and a PD, each with its own SecureSession, exchanging framed packets.
struct Link {
  SecureSession cp;
  SecureSession pd;
  Link() : cp(annex_e_keys(), kRmacI), pd(annex_e_keys(), kRmacI) {}
};

Bytes send(SecureSession& from, Direction direction, std::uint8_t code, const Bytes& clear,
           std::uint8_t sequence) {
  const bool encrypt = !clear.empty();
  Packet p;
  p.is_reply = direction == Direction::kReply;
  p.sequence = sequence;
  p.code = code;
  const std::uint8_t type = direction == Direction::kCommand ? (encrypt ? scs::k17 : scs::k15)
                                                             : (encrypt ? scs::k18 : scs::k16);
  p.security = SecurityBlock{type, {}};
  if (encrypt) {
    Result<Bytes> c = from.encrypt(direction, clear);
    EXPECT_TRUE(c.ok());
    p.data = c.ok() ? *c : Bytes{};
  }
  Result<Bytes> bytes = build_packet_with_mac(p, [&from, direction](std::span<const std::uint8_t> in) {
    return from.sign(direction, in);
  });
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes{};
}

// Parses, checks the MAC, decrypts; nullopt on any failure.
std::optional<Bytes> receive(SecureSession& at, Direction direction, const Bytes& wire) {
  ParseResult r = parse_packet(wire);
  if (r.status != ParseStatus::kPacket || !r.packet.mac) return std::nullopt;
  Status ok = at.verify(direction, std::span<const std::uint8_t>(wire).first(r.mac_input_bytes), *r.packet.mac);
  if (!ok.ok()) return std::nullopt;
  if (!scb_type_encrypts_data(r.packet.security->type)) return Bytes{};
  Result<Bytes> clear = at.decrypt(direction, r.packet.data);
  if (!clear.ok()) return std::nullopt;
  return *clear;
}

TEST(OsdpSecureSession, FirstSecurePollMatchesTheHandComputedMac) {
  Link link;
  Bytes poll = send(link.cp, Direction::kCommand, cmd::kPoll, {}, 1);
  ASSERT_EQ(poll.size(), 14U);
  EXPECT_EQ(Bytes(poll.begin(), poll.begin() + 12),
            (Bytes{0x53, 0x00, 0x0E, 0x00, 0x0D, 0x02, 0x15, 0x60, 0xdf, 0x88, 0x98, 0x23}));
}

TEST(OsdpSecureSession, CommandsAndRepliesRoundTripAndChain) {
  Link link;
  Bytes previous_poll;
  for (std::uint8_t i = 0; i < 6; ++i) {
    const std::uint8_t sqn = static_cast<std::uint8_t>(i % 3 + 1);
    Bytes led = {0x00, 0x01, i};
    Bytes command = send(link.cp, Direction::kCommand, i % 2 ? cmd::kPoll : cmd::kLed,
                         i % 2 ? Bytes{} : led, sqn);
    std::optional<Bytes> got = receive(link.pd, Direction::kCommand, command);
    ASSERT_TRUE(got.has_value()) << "command " << int{i};
    EXPECT_EQ(*got, i % 2 ? Bytes{} : led);
    if (i % 2) {
      // Same POLL bytes before the MAC, different MAC: the chain moved on.
      if (!previous_poll.empty()) {
        EXPECT_NE(previous_poll, command);
      }
      previous_poll = command;
    }

    Bytes card = {0x00, 0x01, 0x1A, 0x00, 0x01, 0x02, 0x03, 0x40, i};
    Bytes answer = send(link.pd, Direction::kReply, reply::kRaw, card, sqn);
    got = receive(link.cp, Direction::kReply, answer);
    ASSERT_TRUE(got.has_value()) << "reply " << int{i};
    EXPECT_EQ(*got, card);
  }
}

TEST(OsdpSecureSession, TamperedOrReplayedPacketFailsAndLeavesTheChainAlone) {
  Link link;
  Bytes command = send(link.cp, Direction::kCommand, cmd::kLed, {0x01, 0x02}, 1);
  // Flip a ciphertext bit and fix up the CRC: only the MAC can catch it now.
  Bytes tampered(command.begin(), command.end() - 2);
  tampered[9] ^= 0x01;
  const std::uint16_t crc = crc16(tampered);
  tampered.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  tampered.push_back(static_cast<std::uint8_t>(crc >> 8));
  ASSERT_EQ(parse_packet(tampered).status, ParseStatus::kPacket);
  EXPECT_FALSE(receive(link.pd, Direction::kCommand, tampered).has_value());
  // The genuine packet still verifies: a failed check did not move the chain.
  EXPECT_TRUE(receive(link.pd, Direction::kCommand, command).has_value());
  // A command's MAC is chained on the last reply's, so until the PD answers
  // a repeat verifies (that is the OSDP retry: same SQN, same bytes); once a
  // reply has gone out, replaying the old command fails.
  EXPECT_TRUE(receive(link.pd, Direction::kCommand, command).has_value());
  Bytes ack = send(link.pd, Direction::kReply, reply::kAck, {}, 1);
  ASSERT_TRUE(receive(link.cp, Direction::kReply, ack).has_value());
  EXPECT_FALSE(receive(link.pd, Direction::kCommand, command).has_value());
  // And a replayed reply fails at the CP once the next command has gone out.
  Bytes poll = send(link.cp, Direction::kCommand, cmd::kPoll, {}, 2);
  ASSERT_TRUE(receive(link.pd, Direction::kCommand, poll).has_value());
  EXPECT_FALSE(receive(link.cp, Direction::kReply, ack).has_value());

  // A PD with another key never accepts the CP's packets.
  Result<SessionKeys> other = derive_session_keys(kScbkDefault, kRndB);
  ASSERT_TRUE(other.ok());
  SecureSession stranger(*other, kRmacI);
  Bytes next = send(link.cp, Direction::kCommand, cmd::kPoll, {}, 3);
  EXPECT_FALSE(receive(stranger, Direction::kCommand, next).has_value());
}

}  // namespace
}  // namespace gatehouse::readers::osdp
