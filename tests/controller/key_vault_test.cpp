// Reader keys at rest: sealed under the key file, stored as ciphertext, opened
// only with the same key file; the file is created 0600 and refused when others
// can read it; no error message carries a key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "controller/key_vault.h"
#include "db/migrate.h"
#include "db/reader_key_store.h"
#include "db/site_store.h"
#include "site/parser.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse::controller {
namespace {

const ReaderKey kKey = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

TEST(KeyVault, SealsOpensAndRefusesAnotherVault) {
  auto dir = test_support::make_temp_dir("gh-vault");
  auto vault = KeyVault::open(dir / "keys" / "vault.key");
  ASSERT_TRUE(vault.ok()) << vault.error().message;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "keys" / "vault.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);

  db::SealedKey sealed = vault->seal("r-it-in", kKey, "controller");
  EXPECT_EQ(sealed.ciphertext.size(), 32u);
  EXPECT_EQ(sealed.nonce.size(), 24u);
  EXPECT_EQ(std::search(sealed.ciphertext.begin(), sealed.ciphertext.end(), kKey.begin(), kKey.end()),
            sealed.ciphertext.end())
      << "the key must not appear in the ciphertext";
  auto opened = vault->open_key(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kKey);

  // The same file opens it again (a restart); another file does not.
  auto again = KeyVault::open(dir / "keys" / "vault.key");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->open_key(sealed), kKey);
  auto other = KeyVault::open(dir / "other.key");
  ASSERT_TRUE(other.ok());
  auto refused = other->open_key(sealed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(refused.error().message.find("dead"), std::string::npos);
  sealed.ciphertext[3] ^= 1;
  EXPECT_FALSE(vault->open_key(sealed).ok()) << "tampering is detected";

  ::chmod((dir / "keys" / "vault.key").c_str(), 0644);
  auto loose = KeyVault::open(dir / "keys" / "vault.key");
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message.find("chmod 600"), std::string::npos);
  std::ofstream(dir / "short.key") << "too short";
  ::chmod((dir / "short.key").c_str(), 0600);
  EXPECT_FALSE(KeyVault::open(dir / "short.key").ok());
  std::filesystem::remove_all(dir);
}

TEST(ReaderKeyStore, OnlyCiphertextInTheDatabase) {
  auto conn = db::Connection::open(test_support::fresh_database());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(db::migrate(*conn).ok());
  auto site = site::parse_site_file(std::string(GATEHOUSE_SOURCE_DIR) + "/docs/examples/site.toml");
  ASSERT_TRUE(site.site.has_value());
  ASSERT_TRUE(db::apply_site(*conn, *site.site, "test", std::string(64, 'a')).ok());
  auto dir = test_support::make_temp_dir("gh-vault-db");
  auto vault = KeyVault::open(dir / "vault.key");
  ASSERT_TRUE(vault.ok());

  ASSERT_TRUE(db::store_reader_key(*conn, vault->seal("r-it-in", kKey, "controller")).ok());
  auto raw = conn->exec("SELECT encode(key_ciphertext, 'hex') FROM reader_keys");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(std::string(raw->text(0, 0)).find("deadbeef"), std::string::npos);
  auto loaded = db::load_reader_key(*conn, "r-it-in");
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(*vault->open_key(**loaded), kKey);
  EXPECT_FALSE(db::load_reader_key(*conn, "r-main-in")->has_value());
  EXPECT_EQ(db::store_reader_key(*conn, vault->seal("r-nowhere", kKey, "x")).error().kind,
            ErrorKind::kNotFound);

  const WallTime later{SystemClock::instance().wall().us + 600'000'000};
  ASSERT_TRUE(db::enable_install_mode(*conn, "r-main-in", "installer", later).ok());
  auto mode = db::load_install_mode(*conn, "r-main-in");
  ASSERT_TRUE(mode.ok() && mode->has_value());
  EXPECT_EQ((*mode)->enabled_by, "installer");
  EXPECT_EQ((*mode)->expires_at, later);
  ASSERT_TRUE(db::disable_install_mode(*conn, "r-main-in").ok());
  EXPECT_FALSE(db::load_install_mode(*conn, "r-main-in")->has_value());
  EXPECT_FALSE(db::enable_install_mode(*conn, "r-main-in", "", later).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gatehouse::controller
