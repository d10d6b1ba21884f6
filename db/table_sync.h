// Makes one table hold exactly a given set of rows, touching only the rows
// that differ: the building block of apply_site(). Table and column names are
// our constants; every value travels as a parameter (one text[] per column,
// expanded with unnest and cast to the column's type).
//
// Thread safety: uses only the caller's connection. Call inside a transaction:
// a failure part way leaves earlier statements for the caller to roll back.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct SyncColumn {
  std::string_view name;
  std::string_view type;  // SQL type the text value is cast to: text, integer, boolean, date...
};

struct TableSpec {
  std::string_view table;
  std::vector<SyncColumn> key;     // the primary key, in full
  std::vector<SyncColumn> values;  // every other column we own; may be empty (link tables)
};

// One row as text, key columns first, then value columns; nullopt is NULL.
using SyncRow = std::vector<std::optional<std::string>>;

struct SyncCounts {
  int inserted = 0;
  int updated = 0;
  int deleted = 0;
};

// Deletes rows whose key is not in `rows`, inserts rows whose key is new and
// updates rows whose values differ. A row that already matches is not written
// (its xmin stays). kInvalidInput if two rows share a key or a row has the
// wrong number of cells; database errors as Connection::exec reports them.
Result<SyncCounts> sync_table(Connection& conn, const TableSpec& spec,
                              const std::vector<SyncRow>& rows);

}  // namespace gatehouse::db
