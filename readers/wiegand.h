// Wiegand card formats: the bits a badge reader delivers (OSDP's RAW reply,
// Wiegand-over-serial firmware lines) turned into a format, its fields, and the
// canonical CredentialKey a credential is stored and looked up by. The bit
// layouts and their sources are in docs/card-formats.md.
//
// Everything here is a pure function of its arguments: no state, callable from
// any thread.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/result.h"

namespace gatehouse::readers {

// The widest read we accept. OSDP allows longer reads, but nothing a site
// enrols is longer, and a fixed-size key keeps the credential map flat.
inline constexpr int kMaxCardBits = 128;

// A card read as the reader delivered it. `bits` holds (bit_count + 7) / 8 bytes,
// the first bit read in the most significant bit of bits[0] (left-justified, as
// OSDP RAW carries it); the padding bits after the last one are zero when the
// RawCard comes from one of the constructors below.
struct RawCard {
  int bit_count = 0;
  std::vector<std::uint8_t> bits;

  // Bit i counted from the first bit read (0-based). Precondition: 0 <= i < bit_count.
  bool bit(int i) const {
    return (bits[static_cast<std::size_t>(i / 8)] >> (7 - i % 8)) & 1U;
  }
  friend bool operator==(const RawCard&, const RawCard&) = default;
};

// From packed bytes as the reader sent them (left-justified). Refuses a bit count
// outside 1..kMaxCardBits or a byte count that does not match it; clears the
// padding bits so that equal reads compare equal.
Result<RawCard> make_raw_card(int bit_count, std::span<const std::uint8_t> packed);

// From "0101...": only '0' and '1', 1..kMaxCardBits of them, first bit first.
Result<RawCard> raw_card_from_bit_string(std::string_view bit_string);

// From a hexadecimal number and a bit count, the number right-aligned in the bit
// count (the way Wiegand-over-serial firmware prints a read: 26 bits "14088B").
// No prefix, no separators, at most 32 digits; leading zeros are fine, a value
// that needs more than bit_count bits is refused.
Result<RawCard> raw_card_from_hex(std::string_view hex, int bit_count);

// "0101..." for logs; empty for an empty card. Safe on a malformed RawCard (it
// prints the bits that are there).
std::string to_bit_string(const RawCard& card);

// The read as one hexadecimal number, right-aligned, upper case, (bit_count + 3)
// / 4 digits: the inverse of raw_card_from_hex. Empty for a malformed RawCard.
std::string to_hex(const RawCard& card);

enum class CardFormat {
  kRaw,          // no known layout: matched on all of its bits
  kH10301,       // HID 26-bit: 8-bit facility, 16-bit card
  kH10302,       // HID 37-bit: 35-bit card, no facility
  kH10304,       // HID 37-bit: 16-bit facility, 19-bit card
  kCorp1000_35,  // HID Corporate 1000 35-bit: 12-bit company ID, 20-bit card
  kCorp1000_48,  // HID Corporate 1000 48-bit: 22-bit company ID, 23-bit card
};

// "raw", "H10301", "H10302", "H10304", "C1000-35", "C1000-48".
std::string_view format_name(CardFormat format);
// The inverse of format_name; exact spelling only, so a site file has one way to
// name each format.
std::optional<CardFormat> parse_format_name(std::string_view name);

// The bit count a format's reads have; 0 for kRaw (any count).
int format_bit_count(CardFormat format);

// The canonical key a credential is stored and looked up by: the read's bit
// count and its data bits with the parity bits stripped (for raw formats, all
// bits). The payload is that bit string as an unsigned number, right-aligned:
// payload[0] holds bits 127..64, payload[1] bits 63..0.
//
// Because the key keeps only the bit count and the data bits, H10302 and H10304
// (same length, same parity layout, different field split) give the same key for
// the same card: the store does not depend on which one the operator picked.
struct CredentialKey {
  std::uint16_t bit_count = 0;
  std::array<std::uint64_t, 2> payload{};

  friend bool operator==(const CredentialKey&, const CredentialKey&) = default;
  friend auto operator<=>(const CredentialKey&, const CredentialKey&) = default;

  // A 64-bit mix of all the fields. Keys differing only in their high payload
  // bits (facility codes) or only in bit_count still spread over the low bits,
  // which is what a power-of-two hash table indexes by.
  std::uint64_t hash() const {
    std::uint64_t h = mix(payload[0] ^ (std::uint64_t{bit_count} * 0x9E3779B97F4A7C15ULL));
    return mix(h ^ payload[1]);
  }

 private:
  static std::uint64_t mix(std::uint64_t x) { return mix64(x); }
};

// "<bit_count>:<payload in hex>", e.g. "26:1204D2" (H10301 facility 18, card
// 1234), for logs and error messages, and the text the database stores a
// credential under.
std::string to_string(const CredentialKey& key);

// The inverse of to_string: "<bit_count>:<hex>", bit count 1..kMaxCardBits in
// decimal without sign or leading zeros, 1 to 32 hex digits (either case; leading
// zeros are fine) whose value fits in bit_count bits. Anything else is
// kInvalidInput naming what is wrong: the text is stored data, so the caller can
// only skip the row and report it.
Result<CredentialKey> parse_credential_key(std::string_view text);

struct DecodedCard {
  CardFormat format = CardFormat::kRaw;
  std::uint64_t facility = 0;     // company ID for Corporate 1000; 0 when the format has none
  std::uint64_t card_number = 0;  // 0 for kRaw: a raw read is identified by `key` alone
  CredentialKey key;
};

// Decodes a read by its bit count: 26 -> H10301, 35 -> C1000-35, 37 -> H10302 or
// H10304 (as `preferred_for_37_bits` says; the parity check is the same), 48 ->
// C1000-48, any other count from 1 to kMaxCardBits -> kRaw.
//
// Every failure is ErrorKind::kInvalidInput, and the decision engine turns any of
// them into the denial reason `bad_format`, never into a match: a parity failure
// (the message names the parity bit), a bit count outside 1..kMaxCardBits, a byte
// count that does not match the bit count, or a `preferred_for_37_bits` that is
// not H10302 or H10304.
Result<DecodedCard> decode_card(const RawCard& card,
                                CardFormat preferred_for_37_bits = CardFormat::kH10304);

// Builds the read a card of this format carries, parity bits included: used by
// the tests, the virtual reader and the simulator. Refuses kRaw (a raw card has no
// fields; build it from its bits) and a facility or card number that does not fit
// its field (H10302 has no facility field, so only 0 fits).
Result<RawCard> encode_card(CardFormat format, std::uint64_t facility, std::uint64_t card_number);

// The key a card of this format with these fields is looked up by, without
// building the read: what the credential store computes from an enrolment.
// Same refusals as encode_card.
Result<CredentialKey> credential_key(CardFormat format, std::uint64_t facility,
                                     std::uint64_t card_number);

}  // namespace gatehouse::readers

template <>
struct std::hash<gatehouse::readers::CredentialKey> {
  std::size_t operator()(const gatehouse::readers::CredentialKey& key) const noexcept {
    return static_cast<std::size_t>(key.hash());
  }
};
