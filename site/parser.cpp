#include "site/parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <tuple>
#include <utility>

#include "site/read.h"

namespace gatehouse::site {
namespace {

// A site file is a few hundred lines; anything this large is the wrong file,
// and reading it whole would only delay saying so.
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

ParseOutcome only_problem(int line, int column, std::string message) {
  ParseOutcome outcome;
  outcome.problems.push_back(Problem{line, column, {}, std::move(message)});
  return outcome;
}

ParseOutcome syntax_problem(const toml::parse_error& e) {
  return only_problem(static_cast<int>(e.source().begin.line),
                      static_cast<int>(e.source().begin.column),
                      "TOML syntax error: " + std::string(e.description()));
}

}  // namespace

ParseOutcome parse_site_text(std::string_view text, std::string_view source_name) {
  toml::table root;
#if TOML_EXCEPTIONS
  // The packaged toml++ is built with exceptions; they stop here and become
  // a Problem like every other.
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return syntax_problem(e);
  }
#else
  toml::parse_result parsed = toml::parse(text, source_name);
  if (!parsed) return syntax_problem(parsed.error());
  root = std::move(parsed).table();
#endif

  ParseOutcome outcome;
  detail::ReadResult read = detail::read_site(root, outcome.problems);
  detail::validate_site(read.site, read.where, outcome.problems);
  // Stable, so problems found on one line keep the order they were found in.
  std::stable_sort(outcome.problems.begin(), outcome.problems.end(),
                   [](const Problem& a, const Problem& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (outcome.problems.empty()) outcome.site = std::move(read.site);
  return outcome;
}

ParseOutcome parse_site_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return only_problem(0, 0, "cannot open the site file: " + std::string(std::strerror(errno)));
  std::string text;
  char buf[64 * 1024];
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, file.get());
    text.append(buf, n);
    if (text.size() > kMaxFileBytes) {
      return only_problem(0, 0, "the site file is larger than " +
                                    std::to_string(kMaxFileBytes / (1024 * 1024)) + " MiB");
    }
    if (n < sizeof buf) break;
  }
  // fopen succeeds on a directory on Linux; the read is what fails (EISDIR).
  if (std::ferror(file.get())) {
    return only_problem(0, 0, "cannot read the site file: " + std::string(std::strerror(errno)));
  }
  return parse_site_text(text, path);
}

std::string format_problem(const Problem& p, std::string_view source_name) {
  std::string out(source_name);
  if (p.line > 0) out += ":" + std::to_string(p.line);
  out += ": ";
  if (!p.key.empty()) out += p.key + ": ";
  out += p.message;
  return out;
}

}  // namespace gatehouse::site
