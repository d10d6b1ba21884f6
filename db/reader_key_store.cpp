#include "db/reader_key_store.h"

#include "base/hex.h"

namespace gatehouse::db {
namespace {

// bytea travels as hex text ("\x0a1b..."): values only, never SQL.
std::string to_bytea(const std::vector<std::uint8_t>& bytes) {
  std::string out = "\\x";
  out += to_hex(bytes);
  return out;
}

// Empty when the text is not bytea hex output (the sealed-key checks then refuse it).
std::vector<std::uint8_t> from_bytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return {};
  return from_hex(text.substr(2)).value_or(std::vector<std::uint8_t>{});
}

Status require_reader(Connection& conn, std::string_view reader_id) {
  Result<Rows> r = conn.exec("SELECT 1 FROM readers WHERE id = $1", {std::string(reader_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) {
    return make_error(ErrorKind::kNotFound, "no reader '" + std::string(reader_id) + "' in the site");
  }
  return Status();
}

}  // namespace

Status store_reader_key(Connection& conn, const SealedKey& key) {
  if (key.ciphertext.size() != 32 || key.nonce.size() != 24 || key.set_by.empty()) {
    return make_error(ErrorKind::kInvalidInput, "a sealed reader key is 32 bytes with a 24-byte nonce");
  }
  if (Status s = require_reader(conn, key.reader_id); !s.ok()) return s;
  Result<Rows> r = conn.exec(R"sql(
      INSERT INTO reader_keys (reader_id, key_ciphertext, key_nonce, set_by)
      VALUES ($1, $2::bytea, $3::bytea, $4)
      ON CONFLICT (reader_id) DO UPDATE SET key_ciphertext = EXCLUDED.key_ciphertext,
        key_nonce = EXCLUDED.key_nonce, set_by = EXCLUDED.set_by, set_at = now())sql",
                             {key.reader_id, to_bytea(key.ciphertext), to_bytea(key.nonce), key.set_by});
  if (!r.ok()) return r.error();
  return Status();
}

Result<std::optional<SealedKey>> load_reader_key(Connection& conn, std::string_view reader_id) {
  Result<Rows> r = conn.exec(
      "SELECT key_ciphertext, key_nonce, set_by, gatehouse_us(set_at) FROM reader_keys "
      "WHERE reader_id = $1",
      {std::string(reader_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<SealedKey>();
  SealedKey k;
  k.reader_id = reader_id;
  k.ciphertext = from_bytea(r->text(0, 0));
  k.nonce = from_bytea(r->text(0, 1));
  k.set_by = r->text(0, 2);
  k.set_at = WallTime{r->int64(0, 3)};
  return std::optional<SealedKey>(std::move(k));
}

Status enable_install_mode(Connection& conn, std::string_view reader_id,
                           std::string_view operator_name, WallTime expires_at) {
  if (operator_name.empty()) return make_error(ErrorKind::kInvalidInput, "install mode needs an operator");
  if (Status s = require_reader(conn, reader_id); !s.ok()) return s;
  Result<Rows> r = conn.exec(R"sql(
      INSERT INTO reader_install_mode (reader_id, enabled_by, expires_at)
      VALUES ($1, $2, gatehouse_ts($3::bigint))
      ON CONFLICT (reader_id) DO UPDATE SET enabled_by = EXCLUDED.enabled_by,
        enabled_at = now(), expires_at = EXCLUDED.expires_at)sql",
                             {std::string(reader_id), std::string(operator_name),
                              std::to_string(expires_at.us)});
  if (!r.ok()) return r.error();
  return Status();
}

Status disable_install_mode(Connection& conn, std::string_view reader_id) {
  Result<Rows> r = conn.exec("DELETE FROM reader_install_mode WHERE reader_id = $1",
                             {std::string(reader_id)});
  if (!r.ok()) return r.error();
  return Status();
}

Result<std::optional<InstallMode>> load_install_mode(Connection& conn, std::string_view reader_id) {
  Result<Rows> r = conn.exec(
      "SELECT enabled_by, gatehouse_us(enabled_at), gatehouse_us(expires_at) "
      "FROM reader_install_mode WHERE reader_id = $1",
      {std::string(reader_id)});
  if (!r.ok()) return r.error();
  if (r->size() == 0) return std::optional<InstallMode>();
  return std::optional<InstallMode>(InstallMode{std::string(reader_id), std::string(r->text(0, 0)),
                                                WallTime{r->int64(0, 1)}, WallTime{r->int64(0, 2)}});
}

}  // namespace gatehouse::db
