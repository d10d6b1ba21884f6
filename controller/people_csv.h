// Reads an HR export (CSV, RFC 4180, via libcsv) into import rows. The header
// row names the columns, in any order; columns we do not use are ignored and
// listed. Reference: docs/people-import.md.
//
// Each data row becomes either a row for db::import_people or a rejected row
// with its line number and reason; a file that cannot be read as CSV at all, or
// lacks a required column, is refused whole (nothing imported).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace gatehouse::controller {

struct CsvPerson {
  int line = 0;  // line of the file where the row starts
  std::string external_id;
  std::string name;
  std::string kind;    // "employee" or "contractor" (default employee)
  std::string status;  // "active" or "terminated" (default active)
  std::string email;
  std::vector<std::string> groups;
};

struct CsvRejected {
  int line = 0;
  std::string reason;
};

struct PeopleCsv {
  std::vector<CsvPerson> rows;
  std::vector<CsvRejected> rejected;
  std::vector<std::string> ignored_columns;
};

Result<PeopleCsv> parse_people_csv(std::string_view text);

}  // namespace gatehouse::controller
