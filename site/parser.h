// Reads a site file (TOML, see docs/site-file.md) into a validated Site.
//
// Every problem in the file is reported, not only the first, so an operator
// can fix a site file in one pass; a TOML syntax error is the exception, as
// nothing after it can be read. A Site is returned only when the file has no
// problems at all: a half-valid site must never reach the doors.
//
// Thread safety: the functions are pure apart from reading the site file and
// the zone files under /usr/share/zoneinfo; call them from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "site/site.h"

namespace gatehouse::site {

struct Problem {
  int line = 0;         // 1-based line in the file; 0 when the problem has no single place
  int column = 0;       // 1-based; 0 when unknown
  std::string key;      // dotted path a person can find: door.main-entrance.reader
  std::string message;  // what is wrong and, where useful, what is allowed
  bool operator==(const Problem&) const = default;
};

struct ParseOutcome {
  std::optional<Site> site;       // set only when problems is empty
  std::vector<Problem> problems;  // every problem found, in file order (sorted by line)
};

// `source_name` names the text in messages (usually the file path).
ParseOutcome parse_site_text(std::string_view text, std::string_view source_name);

// An unreadable file gives one Problem with line 0.
ParseOutcome parse_site_file(const std::string& path);

// "FILE:LINE: KEY: MESSAGE"; ":LINE" is left out when 0 and "KEY: " when empty.
std::string format_problem(const Problem& p, std::string_view source_name);

}  // namespace gatehouse::site
