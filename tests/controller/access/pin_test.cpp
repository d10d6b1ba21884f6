// PIN hashing: what is stored, what verifies, and what is refused.
#include "controller/access/pin.h"

#include <gtest/gtest.h>

namespace gatehouse::controller::access {
namespace {

TEST(Pin, TheRightPinVerifiesAndNoOtherDoes) {
  Result<std::string> hash = hash_pin("4711");
  ASSERT_TRUE(hash.ok()) << hash.error().to_string();
  EXPECT_TRUE(verify_pin(*hash, "4711"));
  for (const char* wrong : {"4712", "0000", "47110", "471", "", "4711 "}) {
    EXPECT_FALSE(verify_pin(*hash, wrong)) << wrong;
  }
}

TEST(Pin, StoredHashIsSaltedArgon2idAtTheMinimumCost) {
  Result<std::string> a = hash_pin("123456");
  Result<std::string> b = hash_pin("123456");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // salted: equal PINs do not show in the database
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0U) << *a;
  // 8 KiB, one pass: see pin.h for why.
  EXPECT_NE(a->find("$m=8,t=1,p=1$"), std::string::npos) << *a;
  EXPECT_TRUE(verify_pin(*b, "123456"));
}

TEST(Pin, OnlyFourToTwelveDigitsAreAPin) {
  for (const char* bad : {"", "123", "1234567890123", "12a4", "12 34", "-1234"}) {
    Result<std::string> h = hash_pin(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().kind, ErrorKind::kInvalidInput);
  }
  EXPECT_TRUE(hash_pin("0000").ok());
  EXPECT_TRUE(hash_pin("123456789012").ok());
}

TEST(Pin, NoHashOrAGarbledOneMatchesNothing) {
  EXPECT_FALSE(verify_pin("", "4711"));
  EXPECT_FALSE(verify_pin("$argon2id$v=19$m=8,t=1,p=1$garbage", "4711"));
  EXPECT_FALSE(verify_pin("4711", "4711"));
}

}  // namespace
}  // namespace gatehouse::controller::access
