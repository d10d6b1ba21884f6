// OSDP Secure Channel keys (sealed: the database never holds one in the clear;
// controller/key_vault.h seals and opens them) and reader install mode.
//
// Thread safety: like Connection, one thread at a time. Blocking (libpq).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct SealedKey {
  std::string reader_id;
  std::vector<std::uint8_t> ciphertext;  // 32 bytes
  std::vector<std::uint8_t> nonce;       // 24 bytes
  std::string set_by;
  WallTime set_at;
};

// Replaces the reader's key (NOTIFY reader:<id>). kNotFound for a reader the
// site does not have; kInvalidInput for wrong sizes.
Status store_reader_key(Connection& conn, const SealedKey& key);
Result<std::optional<SealedKey>> load_reader_key(Connection& conn, std::string_view reader_id);

struct InstallMode {
  std::string reader_id;
  std::string enabled_by;
  WallTime enabled_at;
  WallTime expires_at;
};

// Allows the default install key for the reader until `expires_at`.
Status enable_install_mode(Connection& conn, std::string_view reader_id,
                           std::string_view operator_name, WallTime expires_at);
// Ends install mode (an operator, or the controller once KEYSET succeeded).
Status disable_install_mode(Connection& conn, std::string_view reader_id);
Result<std::optional<InstallMode>> load_install_mode(Connection& conn, std::string_view reader_id);

}  // namespace gatehouse::db
