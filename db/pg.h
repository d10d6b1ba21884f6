// A small libpq wrapper: RAII handles, parameterised statements only, errors
// mapped to base ErrorKinds with the server's message (and SQLSTATE) kept.
// SQL text is always a constant of ours; values travel only as parameters.
//
// Thread safety: a Connection is used by one thread at a time (libpq is blocking;
// callers keep it off the Asio reactor). Ownership: Connection owns its PGconn,
// Rows owns its PGresult.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace gatehouse::db {

// One statement parameter in text form; nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// The rows of a completed statement. Cells are text; callers parse.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* res);
  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  int columns() const;
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;  // "" for NULL
  std::optional<std::string> opt_text(int row, int col) const;
  std::int64_t int64(int row, int col) const;  // 0 for NULL
  bool boolean(int row, int col) const;        // 't' -> true
  // Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples), 0 otherwise.
  std::int64_t affected() const;
  // The command tag without the row count ("INSERT", "COMMIT", "ROLLBACK").
  std::string_view command() const;

 private:
  PGresult* res_ = nullptr;
};

class Connection {
 public:
  // Connects with a libpq connection string ("host=/path dbname=x" or a URI).
  // Unless the string says otherwise: connect_timeout=2 (seconds),
  // application_name=gatehouse; always client_encoding=UTF8 and the session
  // TimeZone UTC (timestamptz text is UTC). kInvalidInput for a malformed
  // string, kUnavailable when the server cannot be reached or refuses us.
  static Result<Connection> open(const std::string& conninfo);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement with $1..$n parameters. Errors: kUnavailable (connection
  // lost, SQLSTATE class 08/57P), kConflict (class 23, 40001, 40P01),
  // kInvalidInput (class 22), kInternal otherwise; message is the server's
  // primary message, its detail in parentheses, then "[SQLSTATE xxxxx]".
  Result<Rows> exec(std::string_view sql, const Params& params = {});

  // Runs a script of several statements without parameters (migrations only).
  Status exec_script(std::string_view sql);

  bool healthy() const;  // the connection is up as far as libpq knows
  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_ = nullptr;
};

// BEGIN on construction, ROLLBACK on destruction unless commit() was called.
// commit() reports kConflict when the server rolled back instead (a statement
// in the transaction had failed); after a lost connection the outcome is
// unknown and commit() reports kUnavailable.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn);
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  Status commit();
  Connection& conn() { return *conn_; }

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
  bool open_ = true;
};

// Encodes strings as a PostgreSQL text-array literal ({"a","b",NULL}) for use
// as one parameter with unnest($n::text[]).
std::string text_array(const std::vector<std::optional<std::string>>& values);
std::string text_array(const std::vector<std::string>& values);

// Quotes an identifier ("a""b") for the few statements that cannot take one
// as a parameter (CREATE DATABASE). The name must not contain NUL.
std::string quote_identifier(std::string_view name);

}  // namespace gatehouse::db
