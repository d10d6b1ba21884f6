#include "db/table_sync.h"

#include <set>

namespace gatehouse::db {
namespace {

std::string column_list(const std::vector<SyncColumn>& cols, std::string_view prefix) {
  std::string out;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) out += ", ";
    out += prefix;
    out += cols[i].name;
  }
  return out;
}

// "unnest($1::text[], $2::text[]) AS u(c0, c1)" for the first n parameters.
std::string unnest_source(std::size_t n) {
  std::string args;
  std::string names;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      args += ", ";
      names += ", ";
    }
    // Appended piecewise: GCC 12 at -O2 misreports `"c" + std::to_string(i)` as -Wrestrict.
    args += '$';
    args += std::to_string(i + 1);
    args += "::text[]";
    names += 'c';
    names += std::to_string(i);
  }
  return "unnest(" + args + ") AS u(" + names + ")";
}

// "cur.a = u.c0::text AND cur.b = u.c1::integer" over the key columns.
std::string key_match(const std::vector<SyncColumn>& key, std::string_view left) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += " AND ";
    out += std::string(left) + "." + std::string(key[i].name) + " = u.c" + std::to_string(i) +
           "::" + std::string(key[i].type);
  }
  return out;
}

std::string delete_sql(const TableSpec& spec) {
  return "DELETE FROM " + std::string(spec.table) + " AS cur WHERE NOT EXISTS (SELECT 1 FROM " +
         unnest_source(spec.key.size()) + " WHERE " + key_match(spec.key, "cur") + ")";
}

// The upsert returns one row per row written, saying whether its key is new.
// The outer SELECT reads the table with the statement's snapshot, which does
// not see the CTE's own writes: "old" is the table as it was before.
std::string upsert_sql(const TableSpec& spec) {
  std::vector<SyncColumn> all = spec.key;
  all.insert(all.end(), spec.values.begin(), spec.values.end());
  std::string casts;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) casts += ", ";
    casts += "u.c" + std::to_string(i) + "::" + std::string(all[i].type) + " AS " +
             std::string(all[i].name);
  }
  const std::string table(spec.table);
  std::string sql = "WITH input AS (SELECT " + casts + " FROM " + unnest_source(all.size()) +
                    "), written AS (INSERT INTO " + table + " AS cur (" + column_list(all, "") +
                    ") SELECT " + column_list(all, "") + " FROM input ON CONFLICT (" +
                    column_list(spec.key, "") + ") ";
  if (spec.values.empty()) {
    sql += "DO NOTHING";
  } else {
    std::string sets;
    for (std::size_t i = 0; i < spec.values.size(); ++i) {
      if (i > 0) sets += ", ";
      sets += std::string(spec.values[i].name) + " = EXCLUDED." + std::string(spec.values[i].name);
    }
    // The WHERE is what keeps an unchanged row unwritten.
    sql += "DO UPDATE SET " + sets + " WHERE ROW(" + column_list(spec.values, "cur.") +
           ") IS DISTINCT FROM ROW(" + column_list(spec.values, "EXCLUDED.") + ")";
  }
  std::string old_match;
  for (std::size_t i = 0; i < spec.key.size(); ++i) {
    if (i > 0) old_match += " AND ";
    old_match += "old." + std::string(spec.key[i].name) + " = written." +
                 std::string(spec.key[i].name);
  }
  sql += " RETURNING " + column_list(spec.key, "cur.") + ") SELECT NOT EXISTS (SELECT 1 FROM " +
         table + " AS old WHERE " + old_match + ") FROM written";
  return sql;
}

}  // namespace

Result<SyncCounts> sync_table(Connection& conn, const TableSpec& spec,
                              const std::vector<SyncRow>& rows) {
  const std::size_t width = spec.key.size() + spec.values.size();
  std::vector<std::vector<std::optional<std::string>>> columns(width);
  std::set<std::vector<std::optional<std::string>>> keys;
  for (const SyncRow& row : rows) {
    if (row.size() != width) {
      return make_error(ErrorKind::kInternal, "row for " + std::string(spec.table) + " has " +
                                                  std::to_string(row.size()) + " cells, expected " +
                                                  std::to_string(width));
    }
    // Checked here because PostgreSQL would report it as a cardinality
    // error that names neither the table nor the key.
    std::vector<std::optional<std::string>> key(row.begin(), row.begin() + spec.key.size());
    if (!keys.insert(key).second) {
      std::string shown;
      for (const auto& k : key) shown += (shown.empty() ? "" : ", ") + k.value_or("NULL");
      return make_error(ErrorKind::kInvalidInput,
                        "duplicate " + std::string(spec.table) + " entry (" + shown + ")");
    }
    for (std::size_t i = 0; i < width; ++i) columns[i].push_back(row[i]);
  }

  SyncCounts counts;
  Params key_params;
  for (std::size_t i = 0; i < spec.key.size(); ++i) key_params.push_back(text_array(columns[i]));
  Result<Rows> deleted = conn.exec(delete_sql(spec), key_params);
  if (!deleted.ok()) return deleted.error();
  counts.deleted = static_cast<int>(deleted->affected());

  if (rows.empty()) return counts;
  Params all_params;
  for (const auto& col : columns) all_params.push_back(text_array(col));
  Result<Rows> written = conn.exec(upsert_sql(spec), all_params);
  if (!written.ok()) return written.error();
  for (int i = 0; i < written->size(); ++i) {
    if (written->boolean(i, 0)) {
      ++counts.inserted;
    } else {
      ++counts.updated;
    }
  }
  return counts;
}

}  // namespace gatehouse::db
