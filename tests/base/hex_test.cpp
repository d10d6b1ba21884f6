#include <gtest/gtest.h>

#include "base/hex.h"

namespace gatehouse {
namespace {

TEST(Hex, RoundTripsAndRefusesWhatIsNotHex) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x0a, 0xde, 0xad, 0xbe, 0xef, 0xff};
  EXPECT_EQ(to_hex(bytes), "000adeadbeefff");
  EXPECT_EQ(from_hex("000adeadbeefff"), bytes);
  EXPECT_EQ(from_hex("000ADEADBEEFFF"), bytes);
  EXPECT_EQ(to_hex({}), "");
  EXPECT_EQ(from_hex(""), std::vector<std::uint8_t>{});
  EXPECT_FALSE(from_hex("abc").has_value());   // odd length
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("\\x00").has_value());  // a bytea prefix is the caller's
}

}  // namespace
}  // namespace gatehouse
