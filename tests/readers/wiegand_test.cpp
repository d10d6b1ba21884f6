// Wiegand card formats. The expected frames below were worked out by hand from the
// bit layouts in docs/card-formats.md (and, where a public document prints one,
// taken from it); none is computed by the code under test.
#include "readers/wiegand.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace gatehouse::readers {
namespace {

constexpr CardFormat kAllFormats[] = {CardFormat::kH10301, CardFormat::kH10302,
                                      CardFormat::kH10304, CardFormat::kCorp1000_35,
                                      CardFormat::kCorp1000_48};

RawCard bits(std::string_view s) {
  Result<RawCard> r = raw_card_from_bit_string(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : RawCard{};
}

RawCard flipped(RawCard card, int i) {
  card.bits[static_cast<std::size_t>(i / 8)] ^= static_cast<std::uint8_t>(0x80U >> (i % 8));
  return card;
}

CardFormat preference_for(CardFormat f) {
  return f == CardFormat::kH10302 ? CardFormat::kH10302 : CardFormat::kH10304;
}

struct Vector {
  CardFormat format;
  std::uint64_t facility;
  std::uint64_t card_number;
  std::string frame;  // first bit read first; fields grouped for reading
  std::string why;
};

// Parity bits are worked out from the masks in docs/card-formats.md; comments give
// the count of ones each parity bit sees (before adding itself).
std::vector<Vector> known_vectors() {
  return {
      // 12 leading data bits hold two ones (even: 0); 12 trailing hold five (odd: 0).
      {CardFormat::kH10301, 18, 1234, "0" "00010010" "0000010011010010" "0", "H10301 18/1234"},
      // Printed as hex 14088B for facility 10, card 1093 in Nedap's Combi-Booster manual.
      {CardFormat::kH10301, 10, 1093, "0" "00001010" "0000010001000101" "1", "H10301 10/1093"},
      // The wiegand-encoder README's example, facility 90, card 324.
      {CardFormat::kH10301, 90, 324, "0" "01011010" "0000000101000100" "0", "H10301 90/324"},
      // Twelve ones on each side: even 0, odd 1; no ones: even 0, odd 1.
      {CardFormat::kH10301, 255, 65535, "0" "11111111" "1111111111111111" "1", "H10301 max"},
      {CardFormat::kH10301, 0, 0, "0" "00000000" "0000000000000000" "1", "H10301 zero"},
      // Printed as hex 100EB79A2B for card 123456789 in the same Nedap manual:
      // bits 2-19 see seven ones (even: 1), bits 19-36 see ten (odd: 1).
      {CardFormat::kH10302, 0, 123456789,
       "1" "00000000111010110111100110100010101" "1", "H10302 123456789"},
      // Facility 118 has five ones and bits 18-19 are zero (even: 1); the card
      // number's nineteen bits hold five ones, its first is zero (odd: 0).
      {CardFormat::kH10304, 118, 1603, "1" "0000000001110110" "0000000011001000011" "0",
       "H10304 118/1603"},
      // All 35 data bits set: bits 2-19 see 18 ones (even: 0), bits 19-36 see 18
      // (odd: 1).
      {CardFormat::kH10304, 65535, 524287, "0" "1111111111111111" "1111111111111111111" "1",
       "H10304 max"},
      // Company 1, card 1: bit 14 is outside bit 2's mask, bit 34 inside (even: 1);
      // bit 35 sees bits 2 and 14 (odd: 1); bit 1 sees four ones (odd: 1).
      {CardFormat::kCorp1000_35, 1, 1, "1" "1" "000000000001" "00000000000000000001" "1",
       "C1000-35 1/1"},
      // All 32 data bits set: bit 2 sees 22 (even: 0), bit 35 sees 21 (odd: 0),
      // bit 1 sees 32 (odd: 1).
      {CardFormat::kCorp1000_35, 4095, 1048575, "1" "0" "111111111111" "11111111111111111111" "0",
       "C1000-35 max"},
      // Company 222, card 12345: bit 2 sees nine ones (even: 1), bit 35 sees seven
      // including bit 2 (odd: 0), bit 1 sees thirteen (odd: 0).
      {CardFormat::kCorp1000_35, 222, 12345, "0" "1" "000011011110" "00000011000000111001" "0",
       "C1000-35 222/12345"},
      // Company 1, card 1: bit 24 is outside bit 2's mask, bit 47 inside (even: 1);
      // bit 48 sees bit 24 only (odd: 0); bit 1 sees three ones (odd: 0).
      {CardFormat::kCorp1000_48, 1, 1,
       "0" "1" "0000000000000000000001" "00000000000000000000001" "0", "C1000-48 1/1"},
      // All 45 data bits set: bit 2 sees 30 (even: 0), bit 48 sees 30 (odd: 1),
      // bit 1 sees 46 (odd: 1).
      {CardFormat::kCorp1000_48, 4194303, 8388607,
       "1" "0" "1111111111111111111111" "11111111111111111111111" "1", "C1000-48 max"},
  };
}

TEST(WiegandKnownValues, EncodeProducesThePublishedFrame) {
  for (const Vector& v : known_vectors()) {
    Result<RawCard> raw = encode_card(v.format, v.facility, v.card_number);
    ASSERT_TRUE(raw.ok()) << v.why << ": " << raw.error().to_string();
    EXPECT_EQ(to_bit_string(*raw), v.frame) << v.why;
    EXPECT_EQ(raw->bit_count, format_bit_count(v.format)) << v.why;
  }
}

TEST(WiegandKnownValues, DecodeRecoversTheFields) {
  for (const Vector& v : known_vectors()) {
    Result<DecodedCard> d = decode_card(bits(v.frame), preference_for(v.format));
    ASSERT_TRUE(d.ok()) << v.why << ": " << d.error().to_string();
    EXPECT_EQ(d->format, v.format) << v.why;
    EXPECT_EQ(d->facility, v.facility) << v.why;
    EXPECT_EQ(d->card_number, v.card_number) << v.why;
  }
}

TEST(WiegandKnownValues, HexAsFirmwarePrintsIt) {
  // Nedap Combi-Booster manual: H10301 10/1093 and H10302 123456789.
  Result<RawCard> h26 = raw_card_from_hex("14088B", 26);
  ASSERT_TRUE(h26.ok());
  Result<DecodedCard> d26 = decode_card(*h26);
  ASSERT_TRUE(d26.ok()) << d26.error().to_string();
  EXPECT_EQ(d26->format, CardFormat::kH10301);
  EXPECT_EQ(d26->facility, 10U);
  EXPECT_EQ(d26->card_number, 1093U);
  EXPECT_EQ(to_hex(*h26), "014088B");

  Result<RawCard> h37 = raw_card_from_hex("100EB79A2B", 37);
  ASSERT_TRUE(h37.ok());
  Result<DecodedCard> d37 = decode_card(*h37, CardFormat::kH10302);
  ASSERT_TRUE(d37.ok()) << d37.error().to_string();
  EXPECT_EQ(d37->format, CardFormat::kH10302);
  EXPECT_EQ(d37->facility, 0U);
  EXPECT_EQ(d37->card_number, 123456789U);
  EXPECT_EQ(to_hex(*h37), "100EB79A2B");
}

TEST(WiegandKnownValues, KeyIsBitCountAndDataBits) {
  // H10301 18/1234: the 24 data bits are 0x12 then 0x04D2.
  Result<DecodedCard> d = decode_card(bits("0" "00010010" "0000010011010010" "0"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key.bit_count, 26);
  EXPECT_EQ(d->key.payload[0], 0U);
  EXPECT_EQ(d->key.payload[1], 0x1204D2U);
  EXPECT_EQ(to_string(d->key), "26:1204D2");

  // C1000-35 222/12345: 32 data bits, company 0x0DE then card 0x03039.
  Result<DecodedCard> c = decode_card(bits("0" "1" "000011011110" "00000011000000111001" "0"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->key.bit_count, 35);
  EXPECT_EQ(c->key.payload[1], 0x0DE03039U);
}

// A small deterministic generator, so a failure names values that reproduce.
struct Lcg {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 11;
  }
};

struct Limits {
  std::uint64_t facility_max;
  std::uint64_t card_max;
};

Limits limits_of(CardFormat f) {
  switch (f) {
    case CardFormat::kH10301: return {255, 65535};
    case CardFormat::kH10302: return {0, (std::uint64_t{1} << 35) - 1};
    case CardFormat::kH10304: return {65535, 524287};
    case CardFormat::kCorp1000_35: return {4095, 1048575};
    case CardFormat::kCorp1000_48: return {4194303, 8388607};
    case CardFormat::kRaw: break;
  }
  return {0, 0};
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> sample_fields(CardFormat f) {
  Limits lim = limits_of(f);
  std::vector<std::uint64_t> facilities{0, std::min<std::uint64_t>(1, lim.facility_max),
                                        lim.facility_max / 2, lim.facility_max};
  std::vector<std::uint64_t> cards{0, 1, lim.card_max / 3, lim.card_max - 1, lim.card_max};
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (std::uint64_t fc : facilities) {
    for (std::uint64_t cn : cards) out.emplace_back(fc, cn);
  }
  Lcg rng{static_cast<std::uint64_t>(f) + 1};
  for (int i = 0; i < 2000; ++i) {
    out.emplace_back(rng.next() % (lim.facility_max + 1), rng.next() % (lim.card_max + 1));
  }
  return out;
}

TEST(WiegandRoundTrip, EveryFormatAcrossItsFieldRanges) {
  for (CardFormat f : kAllFormats) {
    for (auto [fc, cn] : sample_fields(f)) {
      Result<RawCard> raw = encode_card(f, fc, cn);
      ASSERT_TRUE(raw.ok()) << format_name(f) << " " << fc << "/" << cn;
      Result<DecodedCard> d = decode_card(*raw, preference_for(f));
      ASSERT_TRUE(d.ok()) << format_name(f) << " " << fc << "/" << cn << ": "
                          << d.error().to_string();
      ASSERT_EQ(d->format, f);
      ASSERT_EQ(d->facility, fc) << format_name(f);
      ASSERT_EQ(d->card_number, cn) << format_name(f);
      Result<CredentialKey> key = credential_key(f, fc, cn);
      ASSERT_TRUE(key.ok());
      ASSERT_EQ(d->key, *key) << format_name(f) << " " << fc << "/" << cn;
      // The bit-string and hex helpers carry the read unchanged.
      ASSERT_EQ(bits(to_bit_string(*raw)), *raw);
      Result<RawCard> via_hex = raw_card_from_hex(to_hex(*raw), raw->bit_count);
      ASSERT_TRUE(via_hex.ok());
      ASSERT_EQ(*via_hex, *raw);
    }
  }
}

TEST(WiegandRoundTrip, DistinctCardsHaveDistinctKeys) {
  for (CardFormat f : kAllFormats) {
    Limits lim = limits_of(f);
    std::unordered_set<CredentialKey> seen;
    for (auto [fc, cn] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
             {0, 0}, {0, 1}, {lim.facility_max, 0}, {lim.facility_max, lim.card_max}, {0, lim.card_max}}) {
      Result<CredentialKey> key = credential_key(f, fc, cn);
      ASSERT_TRUE(key.ok());
      seen.insert(*key);
    }
    // H10302 has no facility, so its facility_max rows repeat the facility-0 ones.
    EXPECT_EQ(seen.size(), f == CardFormat::kH10302 ? 3U : 5U) << format_name(f);
  }
}

TEST(WiegandParity, EverySingleBitCorruptionIsRefused) {
  for (CardFormat f : kAllFormats) {
    Lcg rng{99};
    Limits lim = limits_of(f);
    for (int sample = 0; sample < 50; ++sample) {
      std::uint64_t fc = rng.next() % (lim.facility_max + 1);
      std::uint64_t cn = rng.next() % (lim.card_max + 1);
      Result<RawCard> raw = encode_card(f, fc, cn);
      ASSERT_TRUE(raw.ok());
      for (int i = 0; i < raw->bit_count; ++i) {
        Result<DecodedCard> d = decode_card(flipped(*raw, i), preference_for(f));
        ASSERT_FALSE(d.ok()) << format_name(f) << " " << fc << "/" << cn << " bit " << i + 1
                             << " flipped decoded as " << d->facility << "/" << d->card_number;
        EXPECT_EQ(d.error().kind, ErrorKind::kInvalidInput);
        EXPECT_NE(d.error().message.find("parity"), std::string::npos) << d.error().message;
      }
    }
  }
}

TEST(WiegandParity, MessageNamesTheFailingBit) {
  // H10301 18/1234 with its trailing odd parity bit flipped: only bit 26's check fails.
  Result<DecodedCard> d = decode_card(bits("0" "00010010" "0000010011010010" "1"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("H10301"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("odd parity check at bit 26"), std::string::npos)
      << d.error().message;

  // C1000-35 1/1 with bit 2 (its even parity bit) flipped: bit 2's own check
  // fails first.
  Result<DecodedCard> c = decode_card(bits("1" "0" "000000000001" "00000000000000000001" "1"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("even parity check at bit 2"), std::string::npos)
      << c.error().message;
}

TEST(WiegandParity, ThirtySevenBitParityIsTheSameForBothLayouts) {
  // A read that fails as H10304 fails as H10302 too: the preference only moves the
  // field split, never turns a bad read into a match.
  RawCard bad = bits("1" "0000000001110110" "0000000011001000011" "1");
  EXPECT_FALSE(decode_card(bad, CardFormat::kH10304).ok());
  EXPECT_FALSE(decode_card(bad, CardFormat::kH10302).ok());
}

TEST(WiegandLengths, OtherLengthsAreRawNotTheNearestFormat) {
  // H10301 18/1234 with its last bit lost (25 bits) and with one bit too many (27):
  // neither is taken for an H10301 card.
  for (std::string frame : {std::string("0" "00010010" "0000010011010010"),
                            std::string("0" "00010010" "0000010011010010" "0" "0")}) {
    Result<DecodedCard> d = decode_card(bits(frame));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->format, CardFormat::kRaw);
    EXPECT_EQ(d->key.bit_count, frame.size());
    Result<CredentialKey> h10301 = credential_key(CardFormat::kH10301, 18, 1234);
    ASSERT_TRUE(h10301.ok());
    EXPECT_NE(d->key, *h10301);
  }
}

TEST(WiegandLengths, ImpossibleReadsAreRefused) {
  RawCard empty;
  Result<DecodedCard> d0 = decode_card(empty);
  ASSERT_FALSE(d0.ok());
  EXPECT_EQ(d0.error().kind, ErrorKind::kInvalidInput);

  RawCard too_long{129, std::vector<std::uint8_t>(17, 0)};
  Result<DecodedCard> d129 = decode_card(too_long);
  ASSERT_FALSE(d129.ok());
  EXPECT_EQ(d129.error().kind, ErrorKind::kInvalidInput);

  RawCard short_bytes{26, std::vector<std::uint8_t>(3, 0)};  // 26 bits need 4 bytes
  Result<DecodedCard> d_short = decode_card(short_bytes);
  ASSERT_FALSE(d_short.ok());
  EXPECT_EQ(d_short.error().kind, ErrorKind::kInvalidInput);
  // Logging such a read must not read past its bytes.
  EXPECT_EQ(to_bit_string(short_bytes), std::string(24, '0'));
  EXPECT_EQ(to_hex(short_bytes), "");

  Result<RawCard> h37 = encode_card(CardFormat::kH10304, 1, 1);
  ASSERT_TRUE(h37.ok());
  EXPECT_FALSE(decode_card(*h37, CardFormat::kH10301).ok());
  EXPECT_FALSE(decode_card(*h37, CardFormat::kRaw).ok());
}

TEST(WiegandEncode, FieldsThatDoNotFitAreRefused) {
  struct Case {
    CardFormat format;
    std::uint64_t facility;
    std::uint64_t card_number;
  };
  const Case cases[] = {
      {CardFormat::kH10301, 256, 0},
      {CardFormat::kH10301, 0, 65536},
      {CardFormat::kH10302, 1, 0},  // no facility field
      {CardFormat::kH10302, 0, std::uint64_t{1} << 35},
      {CardFormat::kH10304, 65536, 0},
      {CardFormat::kH10304, 0, 524288},
      {CardFormat::kCorp1000_35, 4096, 0},
      {CardFormat::kCorp1000_35, 0, 1048576},
      {CardFormat::kCorp1000_48, 4194304, 0},
      {CardFormat::kCorp1000_48, 0, 8388608},
      {CardFormat::kH10301, ~std::uint64_t{0}, ~std::uint64_t{0}},
      {CardFormat::kRaw, 0, 0},  // a raw card has no fields
  };
  for (const Case& c : cases) {
    Result<RawCard> raw = encode_card(c.format, c.facility, c.card_number);
    ASSERT_FALSE(raw.ok()) << format_name(c.format) << " " << c.facility << "/" << c.card_number;
    EXPECT_EQ(raw.error().kind, ErrorKind::kInvalidInput);
    EXPECT_FALSE(credential_key(c.format, c.facility, c.card_number).ok())
        << format_name(c.format) << " " << c.facility << "/" << c.card_number;
  }
}

TEST(WiegandKey, H10302AndH10304GiveTheSameKeyForTheSameCard) {
  // H10304 118/1603 is, as H10302, card number 118 * 2^19 + 1603 = 61867587.
  Result<RawCard> as_h10304 = encode_card(CardFormat::kH10304, 118, 1603);
  Result<RawCard> as_h10302 = encode_card(CardFormat::kH10302, 0, 61867587);
  ASSERT_TRUE(as_h10304.ok());
  ASSERT_TRUE(as_h10302.ok());
  EXPECT_EQ(*as_h10304, *as_h10302);

  Result<DecodedCard> read_as_h10304 = decode_card(*as_h10304, CardFormat::kH10304);
  Result<DecodedCard> read_as_h10302 = decode_card(*as_h10304, CardFormat::kH10302);
  ASSERT_TRUE(read_as_h10304.ok());
  ASSERT_TRUE(read_as_h10302.ok());
  EXPECT_EQ(read_as_h10304->facility, 118U);
  EXPECT_EQ(read_as_h10304->card_number, 1603U);
  EXPECT_EQ(read_as_h10302->facility, 0U);
  EXPECT_EQ(read_as_h10302->card_number, 61867587U);
  EXPECT_EQ(read_as_h10304->key, read_as_h10302->key);

  // Enrolled either way, the store finds the card read either way.
  Result<CredentialKey> enrolled_h10304 = credential_key(CardFormat::kH10304, 118, 1603);
  Result<CredentialKey> enrolled_h10302 = credential_key(CardFormat::kH10302, 0, 61867587);
  ASSERT_TRUE(enrolled_h10304.ok());
  ASSERT_TRUE(enrolled_h10302.ok());
  EXPECT_EQ(*enrolled_h10304, *enrolled_h10302);
  EXPECT_EQ(*enrolled_h10304, read_as_h10302->key);

  Result<CredentialKey> neighbour = credential_key(CardFormat::kH10304, 118, 1604);
  ASSERT_TRUE(neighbour.ok());
  EXPECT_NE(*neighbour, *enrolled_h10304);
}

TEST(WiegandRaw, OddLengthsAreKeyedOnAllTheirBits) {
  struct Case {
    std::string hex;
    int bit_count;
    CredentialKey key;
  };
  const Case cases[] = {
      {"DEADBEEF", 32, {32, {0, 0xDEADBEEFULL}}},
      {"123456789A", 40, {40, {0, 0x123456789AULL}}},
      {"0123456789ABCD", 56, {56, {0, 0x0123456789ABCDULL}}},
      {"1", 1, {1, {0, 1}}},
      {"8000000000000000", 64, {64, {0, 0x8000000000000000ULL}}},
      {"10000000000000001", 65, {65, {1, 1}}},
      {"0123456789ABCDEFFEDCBA9876543210", 128,
       {128, {0x0123456789ABCDEFULL, 0xFEDCBA9876543210ULL}}},
  };
  for (const Case& c : cases) {
    Result<RawCard> raw = raw_card_from_hex(c.hex, c.bit_count);
    ASSERT_TRUE(raw.ok()) << c.hex << ": " << raw.error().to_string();
    Result<DecodedCard> d = decode_card(*raw);
    ASSERT_TRUE(d.ok()) << c.hex;
    EXPECT_EQ(d->format, CardFormat::kRaw) << c.hex;
    EXPECT_EQ(d->facility, 0U);
    EXPECT_EQ(d->card_number, 0U);
    EXPECT_EQ(d->key, c.key) << c.hex << " gave " << to_string(d->key);
  }
}

TEST(WiegandRaw, SameValueDifferentLengthIsADifferentCard) {
  Result<RawCard> r32 = raw_card_from_hex("0000ABCD", 32);
  Result<RawCard> r40 = raw_card_from_hex("000000ABCD", 40);
  ASSERT_TRUE(r32.ok());
  ASSERT_TRUE(r40.ok());
  Result<DecodedCard> d32 = decode_card(*r32);
  Result<DecodedCard> d40 = decode_card(*r40);
  ASSERT_TRUE(d32.ok());
  ASSERT_TRUE(d40.ok());
  EXPECT_EQ(d32->key.payload, d40->key.payload);
  EXPECT_NE(d32->key, d40->key);
  EXPECT_NE(d32->key.hash(), d40->key.hash());
}

TEST(WiegandRaw, EveryBitIsPartOfTheIdentity) {
  // No parity to check on a raw read, so any flipped bit is a different card.
  RawCard r = bits("1011001110001111000011111000001111110000");  // 40 bits
  Result<DecodedCard> original = decode_card(r);
  ASSERT_TRUE(original.ok());
  for (int i = 0; i < r.bit_count; ++i) {
    Result<DecodedCard> d = decode_card(flipped(r, i));
    ASSERT_TRUE(d.ok());
    EXPECT_NE(d->key, original->key) << "bit " << i + 1;
  }
}

TEST(WiegandBitStrings, GarbageIsRefused) {
  EXPECT_FALSE(raw_card_from_bit_string("").ok());
  EXPECT_FALSE(raw_card_from_bit_string("0102").ok());
  EXPECT_FALSE(raw_card_from_bit_string("0101 0101").ok());
  EXPECT_FALSE(raw_card_from_bit_string("0b0101").ok());
  EXPECT_FALSE(raw_card_from_bit_string(std::string(129, '1')).ok());
  EXPECT_TRUE(raw_card_from_bit_string(std::string(128, '1')).ok());

  EXPECT_FALSE(raw_card_from_hex("", 26).ok());
  EXPECT_FALSE(raw_card_from_hex("XYZ", 26).ok());
  EXPECT_FALSE(raw_card_from_hex("0x14088B", 26).ok());
  EXPECT_FALSE(raw_card_from_hex("14 08 8B", 26).ok());
  EXPECT_FALSE(raw_card_from_hex("4000000", 26).ok());  // needs 27 bits
  EXPECT_TRUE(raw_card_from_hex("3FFFFFF", 26).ok());
  EXPECT_FALSE(raw_card_from_hex("1F", 4).ok());
  EXPECT_FALSE(raw_card_from_hex("1", 0).ok());
  EXPECT_FALSE(raw_card_from_hex("1", 129).ok());
  EXPECT_FALSE(raw_card_from_hex(std::string(33, '0'), 128).ok());
  EXPECT_TRUE(raw_card_from_hex(std::string(32, 'F'), 128).ok());
  EXPECT_TRUE(raw_card_from_hex("000014088B", 26).ok());  // leading zeros as firmware pads

  Result<RawCard> lower = raw_card_from_hex("100eb79a2b", 37);
  Result<RawCard> upper = raw_card_from_hex("100EB79A2B", 37);
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*lower, *upper);

  Result<RawCard> e = raw_card_from_bit_string("01x1");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kInvalidInput);
}

TEST(WiegandBitStrings, PackedBytesAreLeftJustifiedAndPaddingIgnored) {
  // 26 bits in 4 bytes; the 6 padding bits arrive set and are cleared.
  const std::uint8_t packed[] = {0x09, 0x02, 0x69, 0x3F};
  Result<RawCard> raw = make_raw_card(26, packed);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(to_bit_string(*raw), "0" "00010010" "0000010011010010" "0");
  EXPECT_EQ(*raw, bits("0" "00010010" "0000010011010010" "0"));

  const std::uint8_t three[] = {0x09, 0x02, 0x69};
  EXPECT_FALSE(make_raw_card(26, three).ok());
  EXPECT_FALSE(make_raw_card(0, {}).ok());
}

TEST(WiegandFormatNames, RoundTripAndRejectOthers) {
  EXPECT_EQ(format_name(CardFormat::kRaw), "raw");
  EXPECT_EQ(format_name(CardFormat::kH10301), "H10301");
  EXPECT_EQ(format_name(CardFormat::kH10302), "H10302");
  EXPECT_EQ(format_name(CardFormat::kH10304), "H10304");
  EXPECT_EQ(format_name(CardFormat::kCorp1000_35), "C1000-35");
  EXPECT_EQ(format_name(CardFormat::kCorp1000_48), "C1000-48");
  for (CardFormat f : kAllFormats) EXPECT_EQ(parse_format_name(format_name(f)), f);
  EXPECT_EQ(parse_format_name("raw"), CardFormat::kRaw);
  for (std::string_view bad : {"", "h10301", "H10303", "C1000_35", "C1000-35 ", "26bit"}) {
    EXPECT_FALSE(parse_format_name(bad).has_value()) << bad;
  }
}

TEST(WiegandKeyHash, KeysDifferingOnlyInHighBitsSpreadOverLowHashBits) {
  // 65,536 Corporate 1000-48 companies with the same card number differ only in
  // payload bits 23 and up; a hash that passed the payload through would put them
  // all in one bucket of a power-of-two table.
  std::unordered_set<std::uint64_t> low_bits;
  for (std::uint64_t company = 0; company < 65536; ++company) {
    Result<CredentialKey> key = credential_key(CardFormat::kCorp1000_48, company, 7);
    ASSERT_TRUE(key.ok());
    low_bits.insert(key->hash() & 0xFFFF);
  }
  // A uniform hash fills about 63% of 65,536 buckets with 65,536 keys.
  EXPECT_GT(low_bits.size(), 65536U * 55 / 100);

  CredentialKey a{26, {0, 0x1204D2}};
  CredentialKey b{27, {0, 0x1204D2}};
  EXPECT_NE(a.hash(), b.hash());
  EXPECT_EQ(std::hash<CredentialKey>{}(a), static_cast<std::size_t>(a.hash()));
}

TEST(WiegandKeyHash, AMillionCredentialsInOneMap) {
  // The decision engine's size: every key found, none confused with another.
  std::unordered_set<CredentialKey> store;
  store.reserve(1000000);
  for (std::uint64_t cn = 0; cn < 1000000; ++cn) {
    Result<CredentialKey> key = credential_key(CardFormat::kCorp1000_35, 7, cn);
    ASSERT_TRUE(key.ok());
    store.insert(*key);
  }
  EXPECT_EQ(store.size(), 1000000U);
  Result<RawCard> read = encode_card(CardFormat::kCorp1000_35, 7, 123456);
  ASSERT_TRUE(read.ok());
  Result<DecodedCard> d = decode_card(*read);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(store.count(d->key), 1U);
  Result<DecodedCard> other = decode_card(*encode_card(CardFormat::kCorp1000_35, 8, 123456));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(store.count(other->key), 0U);
}

TEST(WiegandKeyText, ParsesTheTextTheDatabaseStores) {
  Result<CredentialKey> k = parse_credential_key("26:1204D2");
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  Result<CredentialKey> expected = credential_key(CardFormat::kH10301, 18, 1234);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(*k, *expected);
  // Lower case and leading zeros name the same key.
  Result<CredentialKey> lower = parse_credential_key("26:001204d2");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, *expected);
}

TEST(WiegandKeyText, RoundTripsEveryFormatAndWideRawReads) {
  std::vector<CredentialKey> keys;
  for (CardFormat f : kAllFormats) {
    std::uint64_t facility = f == CardFormat::kH10302 ? 0 : 1;
    Result<CredentialKey> k = credential_key(f, facility, 77);
    ASSERT_TRUE(k.ok()) << format_name(f);
    keys.push_back(*k);
  }
  for (std::string_view s : {std::string_view("1"), std::string_view("0"), std::string_view("1111111111111111111111111111111111111111"
                                                         "1111111111111111111111111111111111111111"
                                                         "1111111111111111111111111111111111111111"
                                                         "11111111"),
                             std::string_view("1000000000000000000000000000000000000000000000000000"
                                              "000000000001")}) {
    Result<DecodedCard> d = decode_card(bits(s));
    ASSERT_TRUE(d.ok()) << s;
    keys.push_back(d->key);
  }
  for (const CredentialKey& key : keys) {
    std::string text = to_string(key);
    Result<CredentialKey> back = parse_credential_key(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().to_string();
    EXPECT_EQ(*back, key) << text;
  }
}

TEST(WiegandKeyText, MalformedTextIsRefusedWithTheFormInTheMessage) {
  for (const char* text :
       {"", "26", "26:", ":12", "0:1", "129:1", "026:1", "+26:1", "-1:1", " 26:1", "26:XYZ",
        "26:1:2", "26: 1", "4:1F", "64:10000000000000000", "1234:1",
        "128:123456789012345678901234567890123"}) {
    Result<CredentialKey> k = parse_credential_key(text);
    ASSERT_FALSE(k.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(k.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(k.error().message.find("<bit count>:<hex>"), std::string::npos) << k.error().message;
  }
  // The widest values that still fit are accepted.
  EXPECT_TRUE(parse_credential_key("4:F").ok());
  EXPECT_TRUE(parse_credential_key("64:FFFFFFFFFFFFFFFF").ok());
  EXPECT_TRUE(parse_credential_key("128:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF").ok());
}

}  // namespace
}  // namespace gatehouse::readers
