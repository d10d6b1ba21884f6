// OSDP v2.2 Secure Channel cryptography (libosdp's osdp_sc.c): session keys,
// the handshake cryptograms, the initial R-MAC, the chained message MAC and
// the data-block encryption, all AES-128 through OpenSSL's EVP interface.
// No framing (osdp_frame.h) and no handshake state machine (the CP and PD
// layers drive the four steps: CHLNG, CCRYPT, SCRYPT, RMAC_I).
//
// Names: RND.A is the CP's 8-byte random (sent in osdp_CHLNG), RND.B the PD's
// (in osdp_CCRYPT). The client cryptogram travels PD -> CP in osdp_CCRYPT, the
// server cryptogram CP -> PD in osdp_SCRYPT. docs/osdp.md gives the formulas
// and where each was checked.
//
// Secrets: keys (SCBK, S-ENC, S-MAC1, S-MAC2) and MAC chain values never
// appear in a log line or an error message produced here, and callers must not
// print them either; Key and SessionKeys have no printer on purpose.
// SessionKeys and SecureSession wipe their keys when destroyed.
//
// Free functions are pure and thread-safe. A SecureSession holds one link's
// MAC chain: one thread at a time (the link's own strand).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "readers/osdp_frame.h"

namespace gatehouse::readers::osdp {

using Key = std::array<std::uint8_t, 16>;
using Block = std::array<std::uint8_t, 16>;
using Random = std::array<std::uint8_t, 8>;

// SCBK-D, the published default Secure Channel Base Key a PD uses in install
// mode (osdp_CHLNG with SEC_BLK_DATA 0). Anyone can compute with it: a link
// keyed with it is not secret; the CP should send osdp_KEYSET at once.
inline constexpr Key kScbkDefault = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
                                     0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F};

struct SessionKeys {
  Key s_enc{};
  Key s_mac1{};
  Key s_mac2{};

  SessionKeys() = default;
  SessionKeys(const SessionKeys&) = default;
  SessionKeys& operator=(const SessionKeys&) = default;
  ~SessionKeys();
};

// S-ENC, S-MAC1, S-MAC2: AES-128-ECB under the SCBK of the block
// {0x01, 0x82 | 0x01 | 0x02, RND.A[0..5], 0 x 8}.
Result<SessionKeys> derive_session_keys(const Key& scbk, const Random& rnd_a);

// Client cryptogram = AES-ECB(S-ENC, RND.A || RND.B)  (PD -> CP, osdp_CCRYPT)
// Server cryptogram = AES-ECB(S-ENC, RND.B || RND.A)  (CP -> PD, osdp_SCRYPT)
Result<Block> client_cryptogram(const SessionKeys& keys, const Random& rnd_a, const Random& rnd_b);
Result<Block> server_cryptogram(const SessionKeys& keys, const Random& rnd_a, const Random& rnd_b);

// RMAC_I = AES-ECB(S-MAC2, AES-ECB(S-MAC1, server cryptogram)) (PD -> CP,
// osdp_RMAC_I); it is also the first IV of the MAC chain.
Result<Block> initial_rmac(const SessionKeys& keys, const Block& server_cryptogram);

// Constant-time comparison, for cryptograms and MACs.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// The OSDP MAC of `message` (the packet from the SOM up to the MAC): split in
// 16-byte blocks, the last one padded with 0x80 then zeros when it is short (a
// message whose length is a multiple of 16 is not padded); CBC under S-MAC1
// from `iv` over every block but the last, and the last block under S-MAC2
// chained on the result. The packet carries the first 4 bytes; the whole 16
// bytes are the next IV of the chain.
Result<Block> compute_mac(const SessionKeys& keys, const Block& iv, std::span<const std::uint8_t> message);

// The data block of an SCS_17/18 packet (the bytes after the command or reply
// code): 0x80 appended, zeros up to a multiple of 16, AES-128-CBC under S-ENC
// with IV = the bitwise NOT of `other_direction_mac`, the last full MAC sent
// the other way (see SecureSession for which that is).
Result<std::vector<std::uint8_t>> encrypt_data(const SessionKeys& keys, const Block& other_direction_mac,
                                               std::span<const std::uint8_t> plaintext);
// The inverse. kInvalidInput (and nothing decrypted) for a length that is not
// a non-zero multiple of 16, or padding that is not 0x80 then zeros: under a
// wrong key the padding check fails, except with probability about 2^-8.
Result<std::vector<std::uint8_t>> decrypt_data(const SessionKeys& keys, const Block& other_direction_mac,
                                               std::span<const std::uint8_t> ciphertext);

// Which way a packet travels.
enum class Direction {
  kCommand,  // CP -> PD (SCS_15 / SCS_17)
  kReply,    // PD -> CP (SCS_16 / SCS_18)
};

// One established Secure Channel: the session keys and the two MAC chain
// values, C-MAC (last command MAC) and R-MAC (last reply MAC, RMAC_I at the
// start). Both ends keep one; each end calls the same operations in the same
// order (the CP protects commands and checks replies, the PD the reverse), so
// the chains stay in step.
//   command MAC IV = R-MAC; the result becomes C-MAC
//   reply MAC IV   = C-MAC; the result becomes R-MAC
//   command data IV = NOT R-MAC;  reply data IV = NOT C-MAC
// A packet is encrypted before its MAC is computed, and its MAC is checked
// before it is decrypted.
class SecureSession {
 public:
  SecureSession(const SessionKeys& keys, const Block& rmac_i);
  SecureSession(const SecureSession&) = default;
  SecureSession& operator=(const SecureSession&) = default;
  ~SecureSession();

  // The MAC of an outgoing packet's bytes (from the SOM to before the MAC);
  // advances the chain. Fits build_packet_with_mac's MacFunction.
  Result<Mac> sign(Direction direction, std::span<const std::uint8_t> mac_input);

  // Checks an incoming packet's MAC; advances the chain only when it matches.
  // A mismatch is kInvalidInput: the spec's answer is osdp_NAK 0x06 and a new
  // handshake, never a retry on this session.
  Status verify(Direction direction, std::span<const std::uint8_t> mac_input, const Mac& mac);

  Result<std::vector<std::uint8_t>> encrypt(Direction direction, std::span<const std::uint8_t> plaintext) const;
  Result<std::vector<std::uint8_t>> decrypt(Direction direction, std::span<const std::uint8_t> ciphertext) const;

 private:
  const Block& mac_iv(Direction direction) const { return direction == Direction::kCommand ? r_mac_ : c_mac_; }
  Block& mac_slot(Direction direction) { return direction == Direction::kCommand ? c_mac_ : r_mac_; }

  SessionKeys keys_;
  Block c_mac_{};
  Block r_mac_{};
};

}  // namespace gatehouse::readers::osdp
