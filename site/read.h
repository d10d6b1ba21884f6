// Internal to site/: the two passes behind parse_site_text.
//
// read_site turns the TOML tree into a Site, checking what one entity can
// check alone (types, required and unknown keys, ranges, formats, overlapping
// intervals). It keeps every entity it can, even a faulty one, so that the
// second pass, validate_site, reports a broken reference once and not again
// for everything that points at the faulty entity.
#pragma once

#include <toml++/toml.h>

#include <vector>

#include "site/fields.h"
#include "site/parser.h"
#include "site/site.h"

namespace gatehouse::site::detail {

// Positions for each entity, parallel to the vectors in Site.
struct SiteWhere {
  EntityWhere site;
  std::vector<EntityWhere> schedules;
  std::vector<EntityWhere> areas;
  std::vector<EntityWhere> groups;
  std::vector<EntityWhere> access_levels;
  std::vector<EntityWhere> io_modules;
  std::vector<EntityWhere> readers;
  std::vector<EntityWhere> cameras;
  std::vector<EntityWhere> doors;
};

struct ReadResult {
  Site site;
  SiteWhere where;
};

ReadResult read_site(const toml::table& root, std::vector<Problem>& out);

// Cross-entity rules: unique ids, references, shared hardware, restricted areas.
void validate_site(const Site& site, const SiteWhere& where, std::vector<Problem>& out);

}  // namespace gatehouse::site::detail
