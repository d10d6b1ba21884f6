#include "db/store_support.h"

namespace gatehouse::db::detail {

std::optional<WallTime> opt_time(const Rows& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return WallTime{r.int64(row, col)};
}

std::optional<std::int64_t> opt_int(const Rows& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return r.int64(row, col);
}

std::string bigint_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

Status require(std::string_view what, std::string_view value) {
  if (!value.empty()) return Status();
  return make_error(ErrorKind::kInvalidInput, std::string(what) + " must not be empty");
}

Status set_change_context(Connection& conn, std::string_view operator_name, std::string_view reason,
                          std::optional<WallTime> at) {
  if (Status s = require("operator", operator_name); !s.ok()) return s;
  if (Status s = require("reason", reason); !s.ok()) return s;
  Result<Rows> r = conn.exec(
      "SELECT set_config('gatehouse.operator', $1, true), set_config('gatehouse.reason', $2, "
      "true), "
      "set_config('gatehouse.at_us', coalesce($3, ''), true)",
      {std::string(operator_name), std::string(reason), opt_us_param(at)});
  if (!r.ok()) return r.error();
  return Status();
}

Status record_person_change(Connection& conn, std::int64_t person_id, std::string_view external_id,
                            std::string_view operator_name, std::string_view change) {
  Result<Rows> r = conn.exec(
      "INSERT INTO person_changes (person_id, external_id, operator, change) "
      "VALUES ($1::bigint, $2, $3, $4)",
      {int_param(person_id), std::string(external_id), std::string(operator_name),
       std::string(change)});
  if (!r.ok()) return r.error();
  return Status();
}

Error with_context(const Error& e, std::string_view context) {
  return make_error(e.kind, std::string(context) + ": " + e.message);
}

}  // namespace gatehouse::db::detail
