// Persists the site model (site/site.h) in the relational site tables of
// db/migrations/0001_site.sql (with the access settings of 0003), and reads it back.
//
// Order: the database keeps no file order except a door's cameras. load_site()
// returns canonical_site() form: entities sorted by id, set-like lists
// (restricted_to, an access level's groups and doors, holidays, a day's
// intervals) sorted, days without intervals absent from Schedule::weekly, a
// door's cameras in file order. Sorting is bytewise (std::string's <).
//
// Thread safety: uses only the caller's connection. Concurrent apply_site()
// calls on one database are serialised by a transaction-scoped advisory lock.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "db/pg.h"
#include "site/site.h"

namespace gatehouse::db {

struct ApplyReport {
  int inserted = 0;  // rows, across all site tables
  int updated = 0;
  int deleted = 0;
  bool changed() const { return inserted + updated + deleted > 0; }
  std::int64_t revision = 0;  // site_revisions.id written; 0 when nothing changed
};

// Makes the site tables hold exactly `site`, in one transaction: rows that
// already match are not written, rows the site no longer has are deleted, and
// a site_revisions row is written only when something changed. Applying the
// same site twice changes nothing the second time. On any error nothing
// changes. file_sha256 is the lowercase (or uppercase) hex SHA-256 of the
// site file, or empty when there is no file; operator_name says who applied it.
// Errors: kInvalidInput (bad sha256, duplicate ids, a value the column type
// refuses), kConflict (a value a CHECK refuses, a reference to an entity the
// site lacks), kUnavailable (database gone). The message names the table.
Result<ApplyReport> apply_site(Connection& conn, const site::Site& site,
                               std::string_view operator_name, std::string_view file_sha256);

// The applied site, in canonical_site() form, read in one snapshot.
// kNotFound when no site has been applied.
Result<site::Site> load_site(Connection& conn);

// `site` in the order load_site() returns (see above).
site::Site canonical_site(site::Site site);

}  // namespace gatehouse::db
