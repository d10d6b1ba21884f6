#include "db/pg.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <utility>

namespace gatehouse::db {
namespace {

// libpq messages end with a newline (sometimes several lines); callers put
// them in log lines and API replies, so keep one line.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// SQLSTATE classes per the PostgreSQL manual, appendix A.
ErrorKind kind_for_sqlstate(std::string_view code) {
  if (code.size() != 5) return ErrorKind::kInternal;
  const std::string_view cls = code.substr(0, 2);
  if (cls == "08") return ErrorKind::kUnavailable;     // connection exception
  if (code.substr(0, 3) == "57P") return ErrorKind::kUnavailable;  // shutdown, db dropped
  if (cls == "23") return ErrorKind::kConflict;        // integrity constraint violation
  if (code == "40001" || code == "40P01") return ErrorKind::kConflict;  // retryable
  if (cls == "22") return ErrorKind::kInvalidInput;    // data exception
  return ErrorKind::kInternal;
}

// Builds the Error for a failed result (res may be null when libpq could not
// even produce one, e.g. out of memory or the socket is gone).
Error error_from(PGconn* conn, const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* detail = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : nullptr;

  std::string message;
  if (primary != nullptr) {
    message = primary;
    if (detail != nullptr) {
      message += " (";
      message += one_line(detail);
      message += ")";
    }
  } else if (res != nullptr && PQresultErrorMessage(res)[0] != '\0') {
    message = one_line(PQresultErrorMessage(res));
  } else {
    message = one_line(PQerrorMessage(conn));
  }
  if (message.empty()) message = "unknown libpq failure";

  // A lost socket has no SQLSTATE from the server: libpq reports it locally
  // and flips the connection status, which is the reliable signal.
  ErrorKind kind = ErrorKind::kInternal;
  if (state != nullptr) {
    kind = kind_for_sqlstate(state);
    message += " [SQLSTATE ";
    message += state;
    message += "]";
  }
  if (PQstatus(conn) == CONNECTION_BAD) kind = ErrorKind::kUnavailable;
  return make_error(kind, std::move(message));
}

}  // namespace

// ---- Rows ----

Rows::Rows(PGresult* res) : res_(res) {}

Rows::Rows(Rows&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}

Rows::~Rows() {
  if (res_ != nullptr) PQclear(res_);
}

int Rows::size() const { return res_ != nullptr ? PQntuples(res_) : 0; }

int Rows::columns() const { return res_ != nullptr ? PQnfields(res_) : 0; }

bool Rows::is_null(int row, int col) const {
  return res_ == nullptr || PQgetisnull(res_, row, col) != 0;
}

std::string_view Rows::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string_view(PQgetvalue(res_, row, col),
                          static_cast<std::size_t>(PQgetlength(res_, row, col)));
}

std::optional<std::string> Rows::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return std::string(text(row, col));
}

std::int64_t Rows::int64(int row, int col) const {
  const std::string_view t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string_view Rows::command() const {
  if (res_ == nullptr) return {};
  std::string_view tag = PQcmdStatus(res_);
  return tag.substr(0, tag.find(' '));
}

bool Rows::boolean(int row, int col) const { return text(row, col) == "t"; }

std::int64_t Rows::affected() const {
  if (res_ == nullptr) return 0;
  const char* n = PQcmdTuples(res_);
  std::int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

// ---- Connection ----

Result<Connection> Connection::open(const std::string& conninfo) {
  // Reject a malformed string up front: it is the caller's mistake, not an
  // unreachable server, and must not be retried.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = "bad connection string: ";
    message += parse_error != nullptr ? one_line(parse_error) : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    return make_error(ErrorKind::kInvalidInput, std::move(message));
  }
  PQconninfoFree(parsed);

  // Keywords are applied in order and later ones win: our defaults come
  // before the caller's string, the encoding we parse with comes after it.
  // A 2 s connect timeout (libpq's minimum) keeps shutdown and retry loops
  // responsive when a server is unreachable rather than refusing.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                            "client_encoding", nullptr};
  const char* values[] = {"2", "gatehouse", conninfo.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return make_error(ErrorKind::kUnavailable, "libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = one_line(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(ErrorKind::kUnavailable, std::move(message));
  }
  Connection c(conn);
  // timestamptz values cross the wire as text; UTC makes that text the same
  // whatever the server's or the role's default zone is.
  Result<Rows> tz = c.exec("SELECT set_config('TimeZone', 'UTC', false)");
  if (!tz.ok()) return tz.error();
  return c;
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
  }
  return *this;
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result<Rows> Connection::exec(std::string_view sql, const Params& params) {
  if (conn_ == nullptr) return make_error(ErrorKind::kInternal, "exec on a moved-from connection");
  const std::string query(sql);  // libpq wants NUL-terminated text
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* res = PQexecParams(conn_, query.c_str(), static_cast<int>(values.size()),
                               /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                               /*paramFormats=*/nullptr, /*resultFormat=text*/ 0);
  Rows rows(res);
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return rows;
  return error_from(conn_, res);
}

Status Connection::exec_script(std::string_view sql) {
  if (conn_ == nullptr) return make_error(ErrorKind::kInternal, "exec on a moved-from connection");
  const std::string script(sql);
  // PQexec (simple protocol) is the only way to send several statements at
  // once; scripts are our own constant text and never carry values.
  PGresult* res = PQexec(conn_, script.c_str());
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status status;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    status = error_from(conn_, res);
  }
  if (res != nullptr) PQclear(res);
  return status;
}

bool Connection::healthy() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

// ---- Transaction ----

Result<Transaction> Transaction::begin(Connection& conn) {
  Result<Rows> r = conn.exec("BEGIN");
  if (!r.ok()) return r.error();
  return Transaction(conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(other.conn_), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  // Best effort: if the connection is gone the server has already rolled back.
  if (open_) (void)conn_->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!open_) return make_error(ErrorKind::kInternal, "commit on a finished transaction");
  open_ = false;
  Result<Rows> r = conn_->exec("COMMIT");
  if (!r.ok()) return r.error();
  // COMMIT of an aborted transaction succeeds with the tag ROLLBACK; treating
  // that as success would report a change that never happened.
  if (r->command() == "ROLLBACK") {
    return make_error(ErrorKind::kConflict,
                      "transaction rolled back: an earlier statement in it failed");
  }
  return Status();
}

// ---- arrays and identifiers ----

namespace {

void append_array_element(std::string& out, const std::optional<std::string>& v) {
  if (!v) {
    out += "NULL";
    return;
  }
  // Always quoted, so "", "NULL", braces, commas and spaces need no special
  // cases; inside quotes only backslash and double quote are escaped.
  out += '"';
  for (char c : *v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string text_array(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_array_element(out, values[i]);
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_array_element(out, values[i]);
  }
  out += '}';
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace gatehouse::db
