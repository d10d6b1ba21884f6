#include "readers/osdp_sc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>

namespace gatehouse::readers::osdp {
namespace {

constexpr std::size_t kBlockBytes = 16;
constexpr std::uint8_t kPadMarker = 0x80;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

// Error messages name the OpenSSL step, never a key or a block.
Error openssl_error(const char* step) {
  std::string message = "OpenSSL ";
  message += step;
  message += " failed";
  return make_error(ErrorKind::kInternal, std::move(message));
}

// AES-128 in ECB (iv == nullptr) or CBC mode over whole blocks, no padding:
// OSDP pads by itself.
Result<std::vector<std::uint8_t>> aes128(bool encrypt, const Key& key, const Block* iv,
                                         std::span<const std::uint8_t> in) {
  if (in.empty() || in.size() % kBlockBytes != 0) {
    return make_error(ErrorKind::kInternal, "AES input is not a whole number of blocks");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  const EVP_CIPHER* cipher = iv != nullptr ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
  const unsigned char* iv_bytes = iv != nullptr ? iv->data() : nullptr;
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv_bytes, encrypt ? 1 : 0) != 1) {
    return openssl_error("EVP_CipherInit_ex");
  }
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) return openssl_error("EVP_CIPHER_CTX_set_padding");
  std::vector<std::uint8_t> out(in.size() + kBlockBytes);
  int written = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1) {
    return openssl_error("EVP_CipherUpdate");
  }
  int final_written = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_written) != 1) {
    return openssl_error("EVP_CipherFinal_ex");
  }
  out.resize(static_cast<std::size_t>(written + final_written));
  return out;
}

Result<Block> encrypt_block(const Key& key, const Block& block) {
  Result<std::vector<std::uint8_t>> out = aes128(true, key, nullptr, block);
  if (!out.ok()) return out.error();
  Block b{};
  std::copy_n(out->begin(), kBlockBytes, b.begin());
  OPENSSL_cleanse(out->data(), out->size());
  return b;
}

Result<Key> derive_one(const Key& scbk, std::uint8_t second_byte, const Random& rnd_a) {
  Block in{};
  in[0] = 0x01;
  in[1] = second_byte;
  std::copy_n(rnd_a.begin(), 6, in.begin() + 2);
  return encrypt_block(scbk, in);
}

Result<Block> cryptogram(const SessionKeys& keys, const Random& first, const Random& second) {
  Block in{};
  std::copy(first.begin(), first.end(), in.begin());
  std::copy(second.begin(), second.end(), in.begin() + 8);
  return encrypt_block(keys.s_enc, in);
}

Block inverted(const Block& b) {
  Block out{};
  std::transform(b.begin(), b.end(), out.begin(), [](std::uint8_t x) { return static_cast<std::uint8_t>(~x); });
  return out;
}

}  // namespace

SessionKeys::~SessionKeys() {
  OPENSSL_cleanse(s_enc.data(), s_enc.size());
  OPENSSL_cleanse(s_mac1.data(), s_mac1.size());
  OPENSSL_cleanse(s_mac2.data(), s_mac2.size());
}

Result<SessionKeys> derive_session_keys(const Key& scbk, const Random& rnd_a) {
  SessionKeys keys;
  Result<Key> enc = derive_one(scbk, 0x82, rnd_a);
  if (!enc.ok()) return enc.error();
  Result<Key> mac1 = derive_one(scbk, 0x01, rnd_a);
  if (!mac1.ok()) return mac1.error();
  Result<Key> mac2 = derive_one(scbk, 0x02, rnd_a);
  if (!mac2.ok()) return mac2.error();
  keys.s_enc = *enc;
  keys.s_mac1 = *mac1;
  keys.s_mac2 = *mac2;
  return keys;
}

Result<Block> client_cryptogram(const SessionKeys& keys, const Random& rnd_a, const Random& rnd_b) {
  return cryptogram(keys, rnd_a, rnd_b);
}

Result<Block> server_cryptogram(const SessionKeys& keys, const Random& rnd_a, const Random& rnd_b) {
  return cryptogram(keys, rnd_b, rnd_a);
}

Result<Block> initial_rmac(const SessionKeys& keys, const Block& server_cryptogram_value) {
  Result<Block> first = encrypt_block(keys.s_mac1, server_cryptogram_value);
  if (!first.ok()) return first;
  return encrypt_block(keys.s_mac2, *first);
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Block> compute_mac(const SessionKeys& keys, const Block& iv, std::span<const std::uint8_t> message) {
  // The last block: the final 1..16 bytes, padded when short. An empty
  // message is one padding block.
  std::size_t last_start = message.empty() ? 0 : (message.size() - 1) / kBlockBytes * kBlockBytes;
  Block last{};
  std::span<const std::uint8_t> tail = message.subspan(last_start);
  std::copy(tail.begin(), tail.end(), last.begin());
  if (tail.size() < kBlockBytes) last[tail.size()] = kPadMarker;

  Block chain = iv;
  if (last_start > 0) {
    Result<std::vector<std::uint8_t>> head = aes128(true, keys.s_mac1, &iv, message.first(last_start));
    if (!head.ok()) return head.error();
    std::copy_n(head->end() - kBlockBytes, kBlockBytes, chain.begin());
  }
  // CBC of one block under S-MAC2 with the running chain as its IV.
  Result<std::vector<std::uint8_t>> out = aes128(true, keys.s_mac2, &chain, last);
  if (!out.ok()) return out.error();
  Block mac{};
  std::copy_n(out->begin(), kBlockBytes, mac.begin());
  return mac;
}

Result<std::vector<std::uint8_t>> encrypt_data(const SessionKeys& keys, const Block& other_direction_mac,
                                               std::span<const std::uint8_t> plaintext) {
  std::vector<std::uint8_t> padded(plaintext.begin(), plaintext.end());
  padded.push_back(kPadMarker);
  padded.resize((padded.size() + kBlockBytes - 1) / kBlockBytes * kBlockBytes, 0);
  const Block iv = inverted(other_direction_mac);
  Result<std::vector<std::uint8_t>> out = aes128(true, keys.s_enc, &iv, padded);
  OPENSSL_cleanse(padded.data(), padded.size());
  return out;
}

Result<std::vector<std::uint8_t>> decrypt_data(const SessionKeys& keys, const Block& other_direction_mac,
                                               std::span<const std::uint8_t> ciphertext) {
  if (ciphertext.empty() || ciphertext.size() % kBlockBytes != 0) {
    return make_error(ErrorKind::kInvalidInput,
                      "OSDP encrypted data block is not a non-zero multiple of 16 bytes");
  }
  const Block iv = inverted(other_direction_mac);
  Result<std::vector<std::uint8_t>> out = aes128(false, keys.s_enc, &iv, ciphertext);
  if (!out.ok()) return out;
  std::vector<std::uint8_t>& plain = out.value();
  // Padding is 0x80 then at most 15 zeros, all inside the last block.
  std::size_t end = plain.size();
  while (end > 0 && plain.size() - end < kBlockBytes && plain[end - 1] == 0) --end;
  if (end == 0 || plain.size() - end >= kBlockBytes || plain[end - 1] != kPadMarker) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return make_error(ErrorKind::kInvalidInput, "OSDP encrypted data block has bad padding");
  }
  plain.resize(end - 1);
  return out;
}

SecureSession::SecureSession(const SessionKeys& keys, const Block& rmac_i) : keys_(keys), r_mac_(rmac_i) {}

SecureSession::~SecureSession() {
  OPENSSL_cleanse(c_mac_.data(), c_mac_.size());
  OPENSSL_cleanse(r_mac_.data(), r_mac_.size());
}

Result<Mac> SecureSession::sign(Direction direction, std::span<const std::uint8_t> mac_input) {
  Result<Block> mac = compute_mac(keys_, mac_iv(direction), mac_input);
  if (!mac.ok()) return mac.error();
  mac_slot(direction) = *mac;
  Mac carried{};
  std::copy_n(mac->begin(), kMacBytes, carried.begin());
  return carried;
}

Status SecureSession::verify(Direction direction, std::span<const std::uint8_t> mac_input, const Mac& mac) {
  Result<Block> expected = compute_mac(keys_, mac_iv(direction), mac_input);
  if (!expected.ok()) return expected.error();
  if (!equal_constant_time(std::span<const std::uint8_t>(*expected).first(kMacBytes), mac)) {
    return make_error(ErrorKind::kInvalidInput, "OSDP MAC mismatch");
  }
  mac_slot(direction) = *expected;
  return Status{};
}

Result<std::vector<std::uint8_t>> SecureSession::encrypt(Direction direction,
                                                         std::span<const std::uint8_t> plaintext) const {
  return encrypt_data(keys_, mac_iv(direction), plaintext);
}

Result<std::vector<std::uint8_t>> SecureSession::decrypt(Direction direction,
                                                         std::span<const std::uint8_t> ciphertext) const {
  return decrypt_data(keys_, mac_iv(direction), ciphertext);
}

}  // namespace gatehouse::readers::osdp
