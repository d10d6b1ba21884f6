#include "readers/wiegand.h"

#include <algorithm>
#include <bit>

namespace gatehouse::readers {
namespace {

// Up to kMaxCardBits bits as one unsigned number, the last bit read in bit 0 of
// lo: the same layout as CredentialKey::payload, so a raw read's key is this.
struct Wide {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
};

// Positions count from the first bit read, 0-based (docs/card-formats.md counts
// from 1; its "bit 2" is position 1 here). A mask is a set of positions as an
// unsigned number over the frame: position p is bit (bit_count - 1 - p), so the
// masks read left to right like the frame itself.
constexpr std::uint64_t position_bit(int bit_count, int position) {
  return std::uint64_t{1} << (bit_count - 1 - position);
}

constexpr std::uint64_t ones(int count) {
  return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
}

constexpr std::uint64_t range_mask(int bit_count, int first, int last) {
  std::uint64_t mask = 0;
  for (int p = first; p <= last; ++p) mask |= position_bit(bit_count, p);
  return mask;
}

// Positions first..last except every third one, the Corporate 1000 pattern:
// `skip` is the residue (position mod 3) left out.
constexpr std::uint64_t two_of_three_mask(int bit_count, int first, int last, int skip) {
  std::uint64_t mask = 0;
  for (int p = first; p <= last; ++p) {
    if (p % 3 != skip) mask |= position_bit(bit_count, p);
  }
  return mask;
}

struct ParityBit {
  int position = -1;
  bool odd = false;
  std::uint64_t mask = 0;  // the positions it covers, itself excluded
};

// Fields are [pos, pos + len). The data bits (everything that is not parity) are
// contiguous in every format here and the key is exactly those bits.
struct FormatSpec {
  CardFormat format;
  int bit_count;
  int facility_pos, facility_len;
  int card_pos, card_len;
  int data_pos, data_len;
  // In encoding order: a later parity bit may cover an earlier one (Corporate
  // 1000's first bit covers the other two), never the reverse.
  std::array<ParityBit, 3> parity;
};

// The parity masks as the published format descriptions give them (hex over the
// whole frame); the static_asserts below check each against its description by
// position, so a typo in either shows up at compile time.
constexpr std::uint64_t kH10301EvenMask = 0x1FFE000;         // bits 2-13
constexpr std::uint64_t kH10301OddMask = 0x0001FFE;          // bits 14-25
constexpr std::uint64_t kH37EvenMask = 0xFFFFC0000;          // bits 2-19
constexpr std::uint64_t kH37OddMask = 0x00007FFFE;           // bits 19-36
constexpr std::uint64_t kC35EvenMask = 0x1B6DB6DB6;          // bit 2
constexpr std::uint64_t kC35OddMask = 0x36DB6DB6C;           // bit 35
constexpr std::uint64_t kC35AllMask = 0x3FFFFFFFF;           // bit 1
constexpr std::uint64_t kC48EvenMask = 0x1B6DB6DB6DB6;       // bit 2
constexpr std::uint64_t kC48OddMask = 0x36DB6DB6DB6C;        // bit 48
constexpr std::uint64_t kC48AllMask = 0x7FFFFFFFFFFF;        // bit 1

static_assert(kH10301EvenMask == range_mask(26, 1, 12));
static_assert(kH10301OddMask == range_mask(26, 13, 24));
static_assert(kH37EvenMask == range_mask(37, 1, 18));
static_assert(kH37OddMask == range_mask(37, 18, 35));
static_assert(kC35EvenMask == two_of_three_mask(35, 2, 33, 1));
static_assert(kC35OddMask == two_of_three_mask(35, 1, 33, 0));
static_assert(kC35AllMask == range_mask(35, 1, 34));
static_assert(kC48EvenMask == two_of_three_mask(48, 3, 46, 2));
static_assert(kC48OddMask == two_of_three_mask(48, 2, 45, 1));
static_assert(kC48AllMask == range_mask(48, 1, 47));

constexpr std::array<FormatSpec, 5> kSpecs{{
    {CardFormat::kH10301, 26, 1, 8, 9, 16, 1, 24,
     {{{0, false, kH10301EvenMask}, {25, true, kH10301OddMask}, {}}}},
    {CardFormat::kH10302, 37, 1, 0, 1, 35, 1, 35,
     {{{0, false, kH37EvenMask}, {36, true, kH37OddMask}, {}}}},
    {CardFormat::kH10304, 37, 1, 16, 17, 19, 1, 35,
     {{{0, false, kH37EvenMask}, {36, true, kH37OddMask}, {}}}},
    {CardFormat::kCorp1000_35, 35, 2, 12, 14, 20, 2, 32,
     {{{1, false, kC35EvenMask}, {34, true, kC35OddMask}, {0, true, kC35AllMask}}}},
    {CardFormat::kCorp1000_48, 48, 2, 22, 24, 23, 2, 45,
     {{{1, false, kC48EvenMask}, {47, true, kC48OddMask}, {0, true, kC48AllMask}}}},
}};

// The invariants the encoder and the key rule rely on, for every format.
constexpr bool specs_are_consistent() {
  for (const FormatSpec& s : kSpecs) {
    if (s.bit_count > 64) return false;
    // Fields lie inside the data bits, facility right before the card number,
    // and the data bits are exactly the frame minus its parity bits.
    if (s.facility_pos + s.facility_len != s.card_pos) return false;
    if (s.facility_len > 0 && s.facility_pos != s.data_pos) return false;
    if (s.card_pos + s.card_len != s.data_pos + s.data_len) return false;
    std::uint64_t parity_positions = 0;
    for (const ParityBit& p : s.parity) {
      if (p.position < 0) continue;
      parity_positions |= position_bit(s.bit_count, p.position);
    }
    std::uint64_t data = range_mask(s.bit_count, s.data_pos, s.data_pos + s.data_len - 1);
    if ((parity_positions & data) != 0 || (parity_positions | data) != ones(s.bit_count)) {
      return false;
    }
    // No parity bit covers itself or one computed after it.
    for (std::size_t i = 0; i < s.parity.size(); ++i) {
      const ParityBit& p = s.parity[i];
      if (p.position < 0) continue;
      if (p.mask & ~ones(s.bit_count)) return false;
      for (std::size_t j = i; j < s.parity.size(); ++j) {
        if (s.parity[j].position >= 0 && (p.mask & position_bit(s.bit_count, s.parity[j].position))) {
          return false;
        }
      }
    }
  }
  return true;
}
static_assert(specs_are_consistent());

const FormatSpec* find_spec(CardFormat format) {
  for (const FormatSpec& s : kSpecs) {
    if (s.format == format) return &s;
  }
  return nullptr;
}

Error invalid(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message));
}

std::size_t byte_count(int bit_count) {
  return static_cast<std::size_t>((bit_count + 7) / 8);
}

bool bit_count_in_range(int bit_count) {
  return bit_count >= 1 && bit_count <= kMaxCardBits;
}

std::string bit_count_error(int bit_count) {
  return "a card read has 1 to " + std::to_string(kMaxCardBits) + " bits, not " +
         std::to_string(bit_count);
}

Wide value_of(const RawCard& card) {
  Wide w;
  for (int i = 0; i < card.bit_count; ++i) {
    w.hi = (w.hi << 1) | (w.lo >> 63);
    w.lo = (w.lo << 1) | (card.bit(i) ? 1U : 0U);
  }
  return w;
}

RawCard card_of(Wide value, int bit_count) {
  RawCard card;
  card.bit_count = bit_count;
  card.bits.assign(byte_count(bit_count), 0);
  for (int i = 0; i < bit_count; ++i) {
    int shift = bit_count - 1 - i;  // the value bit that goes to position i
    bool set = shift >= 64 ? (value.hi >> (shift - 64)) & 1U : (value.lo >> shift) & 1U;
    if (set) card.bits[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(0x80U >> (i % 8));
  }
  return card;
}

std::uint64_t field(const FormatSpec& s, std::uint64_t value, int pos, int len) {
  if (len == 0) return 0;
  return (value >> (s.bit_count - pos - len)) & ones(len);
}

CredentialKey key_of(const FormatSpec& s, std::uint64_t value) {
  CredentialKey key;
  key.bit_count = static_cast<std::uint16_t>(s.bit_count);
  key.payload = {0, field(s, value, s.data_pos, s.data_len)};
  return key;
}

const char kHexDigits[] = "0123456789ABCDEF";

void append_hex(std::string& out, Wide value, int digits) {
  for (int d = digits - 1; d >= 0; --d) {
    int shift = d * 4;
    std::uint64_t nibble = shift >= 64 ? value.hi >> (shift - 64) : value.lo >> shift;
    out += kHexDigits[nibble & 0xF];
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Builds a format's frame from fields already checked to fit.
std::uint64_t encode_value(const FormatSpec& s, std::uint64_t facility, std::uint64_t card_number) {
  std::uint64_t value = 0;
  if (s.facility_len > 0) value |= facility << (s.bit_count - s.facility_pos - s.facility_len);
  value |= card_number << (s.bit_count - s.card_pos - s.card_len);
  for (const ParityBit& p : s.parity) {
    if (p.position < 0) continue;
    bool covered_odd = std::popcount(value & p.mask) % 2 == 1;
    // The parity bit makes the count over mask + itself even (or odd).
    bool set = p.odd ? !covered_odd : covered_odd;
    if (set) value |= position_bit(s.bit_count, p.position);
  }
  return value;
}

Status check_fields(const FormatSpec* s, CardFormat format, std::uint64_t facility,
                    std::uint64_t card_number) {
  if (s == nullptr) {
    return invalid("a raw card has no facility or card number fields; build it from its bits");
  }
  std::string name(format_name(format));
  if (s->facility_len == 0 && facility != 0) {
    return invalid(name + " has no facility field, so the facility must be 0, not " +
                   std::to_string(facility));
  }
  if (facility > ones(s->facility_len)) {
    return invalid(name + " facility " + std::to_string(facility) + " does not fit in " +
                   std::to_string(s->facility_len) + " bits (max " +
                   std::to_string(ones(s->facility_len)) + ")");
  }
  if (card_number > ones(s->card_len)) {
    return invalid(name + " card number " + std::to_string(card_number) + " does not fit in " +
                   std::to_string(s->card_len) + " bits (max " +
                   std::to_string(ones(s->card_len)) + ")");
  }
  return Status();
}

}  // namespace

Result<RawCard> make_raw_card(int bit_count, std::span<const std::uint8_t> packed) {
  if (!bit_count_in_range(bit_count)) return invalid(bit_count_error(bit_count));
  if (packed.size() != byte_count(bit_count)) {
    return invalid(std::to_string(bit_count) + " bits take " +
                   std::to_string(byte_count(bit_count)) + " bytes, not " +
                   std::to_string(packed.size()));
  }
  RawCard card{bit_count, std::vector<std::uint8_t>(packed.begin(), packed.end())};
  int padding = static_cast<int>(packed.size()) * 8 - bit_count;
  card.bits.back() &= static_cast<std::uint8_t>(0xFFU << padding);
  return card;
}

Result<RawCard> raw_card_from_bit_string(std::string_view bit_string) {
  int bit_count = static_cast<int>(bit_string.size());
  if (!bit_count_in_range(bit_count)) return invalid(bit_count_error(bit_count));
  RawCard card;
  card.bit_count = bit_count;
  card.bits.assign(byte_count(bit_count), 0);
  for (int i = 0; i < bit_count; ++i) {
    char c = bit_string[static_cast<std::size_t>(i)];
    if (c != '0' && c != '1') {
      return invalid("a bit string has only '0' and '1'; character " + std::to_string(i + 1) +
                     " is not one of them");
    }
    if (c == '1') card.bits[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(0x80U >> (i % 8));
  }
  return card;
}

Result<RawCard> raw_card_from_hex(std::string_view hex, int bit_count) {
  if (!bit_count_in_range(bit_count)) return invalid(bit_count_error(bit_count));
  if (hex.empty() || hex.size() > kMaxCardBits / 4) {
    return invalid("a hex card read has 1 to " + std::to_string(kMaxCardBits / 4) +
                   " digits, not " + std::to_string(hex.size()));
  }
  Wide value;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    int digit = hex_value(hex[i]);
    if (digit < 0) {
      return invalid("a hex card read has only 0-9 and A-F; character " + std::to_string(i + 1) +
                     " is not one of them");
    }
    value.hi = (value.hi << 4) | (value.lo >> 60);
    value.lo = (value.lo << 4) | static_cast<std::uint64_t>(digit);
  }
  bool fits = bit_count >= 128 ? true
              : bit_count >= 64 ? (value.hi >> (bit_count - 64)) == 0
                                : value.hi == 0 && (value.lo >> bit_count) == 0;
  if (!fits) {
    return invalid("hex card read " + std::string(hex) + " needs more than " +
                   std::to_string(bit_count) + " bits");
  }
  return card_of(value, bit_count);
}

std::string to_bit_string(const RawCard& card) {
  // Logs see hand-built and malformed reads too: print only the bits that exist.
  int shown = std::min(card.bit_count, static_cast<int>(card.bits.size()) * 8);
  std::string out;
  for (int i = 0; i < shown; ++i) out += card.bit(i) ? '1' : '0';
  return out;
}

std::string to_hex(const RawCard& card) {
  if (!bit_count_in_range(card.bit_count) || card.bits.size() != byte_count(card.bit_count)) {
    return "";
  }
  std::string out;
  append_hex(out, value_of(card), (card.bit_count + 3) / 4);
  return out;
}

std::string_view format_name(CardFormat format) {
  switch (format) {
    case CardFormat::kRaw: return "raw";
    case CardFormat::kH10301: return "H10301";
    case CardFormat::kH10302: return "H10302";
    case CardFormat::kH10304: return "H10304";
    case CardFormat::kCorp1000_35: return "C1000-35";
    case CardFormat::kCorp1000_48: return "C1000-48";
  }
  return "raw";
}

std::optional<CardFormat> parse_format_name(std::string_view name) {
  for (CardFormat f : {CardFormat::kRaw, CardFormat::kH10301, CardFormat::kH10302,
                       CardFormat::kH10304, CardFormat::kCorp1000_35, CardFormat::kCorp1000_48}) {
    if (format_name(f) == name) return f;
  }
  return std::nullopt;
}

int format_bit_count(CardFormat format) {
  const FormatSpec* s = find_spec(format);
  return s == nullptr ? 0 : s->bit_count;
}

std::string to_string(const CredentialKey& key) {
  std::string out = std::to_string(key.bit_count) + ":";
  Wide value{key.payload[0], key.payload[1]};
  int digits = 1;
  for (int d = 32; d > 1; --d) {
    int shift = (d - 1) * 4;
    std::uint64_t nibble = shift >= 64 ? value.hi >> (shift - 64) : value.lo >> shift;
    if ((nibble & 0xF) != 0) {
      digits = d;
      break;
    }
  }
  append_hex(out, value, digits);
  return out;
}

Result<CredentialKey> parse_credential_key(std::string_view text) {
  auto refuse = [&](const std::string& why) {
    return invalid("credential key '" + std::string(text) + "' " + why +
                   "; the form is <bit count>:<hex>, e.g. 26:1204D2");
  };
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return refuse("has no ':'");
  std::string_view count_text = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  if (count_text.empty() || count_text.size() > 3 || count_text.front() == '0' ||
      !std::all_of(count_text.begin(), count_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return refuse("does not start with a bit count from 1 to " + std::to_string(kMaxCardBits));
  }
  int bit_count = 0;
  for (char c : count_text) bit_count = bit_count * 10 + (c - '0');
  if (!bit_count_in_range(bit_count)) {
    return refuse("has bit count " + std::to_string(bit_count) + ", outside 1 to " +
                  std::to_string(kMaxCardBits));
  }
  if (hex.empty() || hex.size() > kMaxCardBits / 4) {
    return refuse("needs 1 to " + std::to_string(kMaxCardBits / 4) + " hex digits after ':'");
  }
  Wide value;
  for (char c : hex) {
    int digit = hex_value(c);
    if (digit < 0) return refuse("has a character other than 0-9 and A-F after ':'");
    value.hi = (value.hi << 4) | (value.lo >> 60);
    value.lo = (value.lo << 4) | static_cast<std::uint64_t>(digit);
  }
  bool fits = bit_count >= 128  ? true
              : bit_count >= 64 ? (value.hi >> (bit_count - 64)) == 0
                                : value.hi == 0 && (value.lo >> bit_count) == 0;
  if (!fits) return refuse("has a value wider than its " + std::to_string(bit_count) + " bits");
  CredentialKey key;
  key.bit_count = static_cast<std::uint16_t>(bit_count);
  key.payload = {value.hi, value.lo};
  return key;
}

Result<DecodedCard> decode_card(const RawCard& card, CardFormat preferred_for_37_bits) {
  if (preferred_for_37_bits != CardFormat::kH10302 && preferred_for_37_bits != CardFormat::kH10304) {
    return invalid("37-bit reads decode as H10302 or H10304, not " +
                   std::string(format_name(preferred_for_37_bits)));
  }
  if (!bit_count_in_range(card.bit_count)) return invalid(bit_count_error(card.bit_count));
  if (card.bits.size() != byte_count(card.bit_count)) {
    return invalid("malformed card read: " + std::to_string(card.bit_count) + " bits in " +
                   std::to_string(card.bits.size()) + " bytes");
  }

  const FormatSpec* s = nullptr;
  for (const FormatSpec& candidate : kSpecs) {
    if (candidate.bit_count != card.bit_count) continue;
    if (candidate.bit_count == 37 && candidate.format != preferred_for_37_bits) continue;
    s = &candidate;
    break;
  }

  Wide value = value_of(card);
  if (s == nullptr) {
    // No layout to check or split: the whole read is the identity.
    DecodedCard raw;
    raw.format = CardFormat::kRaw;
    raw.key.bit_count = static_cast<std::uint16_t>(card.bit_count);
    raw.key.payload = {value.hi, value.lo};
    return raw;
  }

  for (const ParityBit& p : s->parity) {
    if (p.position < 0) continue;
    std::uint64_t covered = value.lo & (p.mask | position_bit(s->bit_count, p.position));
    bool count_odd = std::popcount(covered) % 2 == 1;
    if (count_odd != p.odd) {
      return invalid(std::string(format_name(s->format)) + " read fails its " +
                     (p.odd ? "odd" : "even") + " parity check at bit " +
                     std::to_string(p.position + 1) + ": " + to_bit_string(card));
    }
  }

  DecodedCard decoded;
  decoded.format = s->format;
  decoded.facility = field(*s, value.lo, s->facility_pos, s->facility_len);
  decoded.card_number = field(*s, value.lo, s->card_pos, s->card_len);
  decoded.key = key_of(*s, value.lo);
  return decoded;
}

Result<RawCard> encode_card(CardFormat format, std::uint64_t facility, std::uint64_t card_number) {
  const FormatSpec* s = find_spec(format);
  Status fits = check_fields(s, format, facility, card_number);
  if (!fits.ok()) return fits.error();
  return card_of(Wide{0, encode_value(*s, facility, card_number)}, s->bit_count);
}

Result<CredentialKey> credential_key(CardFormat format, std::uint64_t facility,
                                     std::uint64_t card_number) {
  const FormatSpec* s = find_spec(format);
  Status fits = check_fields(s, format, facility, card_number);
  if (!fits.ok()) return fits.error();
  return key_of(*s, encode_value(*s, facility, card_number));
}

}  // namespace gatehouse::readers
