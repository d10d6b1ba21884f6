// Seals and opens OSDP Secure Channel keys for storage (libsodium secretbox,
// XSalsa20-Poly1305) under the controllers' key file, so the database only
// ever holds ciphertext. The key file is GATEHOUSE_KEY_FILE, or var/keys/vault.key,
// created with 32 random bytes and mode 0600 on first use. Controllers that
// share a database must share the key file (copy it when adding one).
//
// Keys never appear in logs or error messages.
// Thread safety: immutable after open(); use from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "base/result.h"
#include "db/reader_key_store.h"

namespace gatehouse::controller {

using ReaderKey = std::array<std::uint8_t, 16>;

class KeyVault {
 public:
  static Result<KeyVault> open(const std::filesystem::path& key_file);
  KeyVault(KeyVault&&) noexcept;
  KeyVault& operator=(KeyVault&&) noexcept;
  ~KeyVault();  // wipes the vault key

  db::SealedKey seal(const std::string& reader_id, const ReaderKey& key,
                     const std::string& set_by) const;
  // kConflict when the key was sealed under another vault key, or tampered with.
  Result<ReaderKey> open_key(const db::SealedKey& sealed) const;

 private:
  KeyVault() = default;
  std::array<std::uint8_t, 32> key_{};
};

// GATEHOUSE_KEY_FILE, else <var>/keys/vault.key.
std::filesystem::path key_file_path(const std::filesystem::path& var_dir);

}  // namespace gatehouse::controller
