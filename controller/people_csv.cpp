#include "controller/people_csv.h"

#include <csv.h>

#include <algorithm>
#include <map>
#include <optional>

namespace gatehouse::controller {
namespace {

struct Record {
  int line = 0;
  std::vector<std::string> fields;
};

// libcsv hands us fields and record ends through C callbacks; this collects them.
struct Collector {
  int current_line = 1;
  Record pending;
  std::vector<Record> records;

  static void on_field(void* data, size_t len, void* self_ptr) {
    auto* self = static_cast<Collector*>(self_ptr);
    if (self->pending.fields.empty()) self->pending.line = self->current_line;
    self->pending.fields.emplace_back(static_cast<const char*>(data), len);
  }
  static void on_record(int, void* self_ptr) {
    auto* self = static_cast<Collector*>(self_ptr);
    if (self->pending.fields.empty()) self->pending.line = self->current_line;
    self->records.push_back(std::move(self->pending));
    self->pending = Record{};
  }
};

std::string trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  auto end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Header names HR systems use for each of our columns.
const std::map<std::string, std::string>& column_aliases() {
  static const std::map<std::string, std::string> aliases = {
      {"external_id", "external_id"}, {"employee_id", "external_id"},
      {"employee_number", "external_id"}, {"id", "external_id"},
      {"name", "name"}, {"full_name", "name"},
      {"kind", "kind"}, {"type", "kind"},
      {"status", "status"},
      {"email", "email"},
      {"groups", "groups"},
  };
  return aliases;
}

std::vector<std::string> split_groups(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text + ";") {
    if (c == ';' || c == ' ' || c == ',' || c == '\t') {
      std::string g = trim(current);
      if (!g.empty() && std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
      current.clear();
    } else {
      current += c;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<PeopleCsv> parse_people_csv(std::string_view text) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return make_error(ErrorKind::kInternal, "cannot initialise the CSV parser");
  }
  Collector collector;
  // Fed one line at a time so each record knows the line it starts on.
  std::size_t pos = 0;
  bool failed = false;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::size_t chunk = end - pos;
    if (csv_parse(&parser, text.data() + pos, chunk, Collector::on_field, Collector::on_record,
                  &collector) != chunk) {
      failed = true;
      break;
    }
    pos = end;
    ++collector.current_line;
  }
  if (!failed && csv_fini(&parser, Collector::on_field, Collector::on_record, &collector) != 0) {
    failed = true;
  }
  if (failed) {
    std::string why = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    return make_error(ErrorKind::kInvalidInput, "line " + std::to_string(collector.current_line) +
                                                    ": not valid CSV (" + why +
                                                    "); nothing imported");
  }
  csv_free(&parser);

  if (collector.records.empty()) {
    return make_error(ErrorKind::kInvalidInput, "the file is empty; nothing imported");
  }

  // Header: map each column to our field name, or note it as ignored.
  PeopleCsv out;
  const Record& header = collector.records.front();
  std::map<std::string, std::size_t> column;  // our name -> index
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = lower(trim(header.fields[i]));
    if (i == 0 && name.rfind("\xef\xbb\xbf", 0) == 0) name = name.substr(3);  // UTF-8 BOM
    auto alias = column_aliases().find(name);
    if (alias == column_aliases().end()) {
      out.ignored_columns.push_back(name);
      continue;
    }
    if (column.count(alias->second) != 0) {
      return make_error(ErrorKind::kInvalidInput,
                        "line " + std::to_string(header.line) + ": two columns mean '" +
                            alias->second + "'; nothing imported");
    }
    column[alias->second] = i;
  }
  for (const char* required : {"external_id", "name"}) {
    if (column.count(required) == 0) {
      return make_error(ErrorKind::kInvalidInput,
                        std::string("the header has no '") + required +
                            "' column (header: line " + std::to_string(header.line) +
                            "); nothing imported");
    }
  }

  auto field = [&column](const Record& r, const char* name) -> std::optional<std::string> {
    auto it = column.find(name);
    if (it == column.end() || it->second >= r.fields.size()) return std::nullopt;
    return trim(r.fields[it->second]);
  };

  for (std::size_t i = 1; i < collector.records.size(); ++i) {
    const Record& r = collector.records[i];
    bool blank = std::all_of(r.fields.begin(), r.fields.end(),
                             [](const std::string& f) { return trim(f).empty(); });
    if (blank) continue;
    if (r.fields.size() != header.fields.size()) {
      out.rejected.push_back({r.line, "has " + std::to_string(r.fields.size()) +
                                          " fields; the header has " +
                                          std::to_string(header.fields.size())});
      continue;
    }
    CsvPerson p;
    p.line = r.line;
    p.external_id = field(r, "external_id").value_or("");
    p.name = field(r, "name").value_or("");
    p.kind = lower(field(r, "kind").value_or(""));
    p.status = lower(field(r, "status").value_or(""));
    p.email = field(r, "email").value_or("");
    p.groups = split_groups(field(r, "groups").value_or(""));
    if (p.kind.empty()) p.kind = "employee";
    if (p.status.empty()) p.status = "active";
    if (p.external_id.empty()) {
      out.rejected.push_back({r.line, "empty external_id"});
    } else if (p.name.empty()) {
      out.rejected.push_back({r.line, "person '" + p.external_id + "' has an empty name"});
    } else if (p.kind != "employee" && p.kind != "contractor") {
      out.rejected.push_back(
          {r.line, "kind '" + p.kind + "' is not employee or contractor (visitors are registered "
                                       "at reception, not imported)"});
    } else if (p.status != "active" && p.status != "terminated") {
      out.rejected.push_back({r.line, "status '" + p.status + "' is not active or terminated"});
    } else {
      out.rows.push_back(std::move(p));
    }
  }
  // One person twice in a file is ambiguous: reject every occurrence after the first.
  std::map<std::string, int> first_line;
  std::vector<CsvPerson> unique_rows;
  for (auto& p : out.rows) {
    auto [it, inserted] = first_line.emplace(p.external_id, p.line);
    if (!inserted) {
      out.rejected.push_back({p.line, "person '" + p.external_id + "' already appears on line " +
                                          std::to_string(it->second)});
      continue;
    }
    unique_rows.push_back(std::move(p));
  }
  out.rows = std::move(unique_rows);
  std::sort(out.rejected.begin(), out.rejected.end(),
            [](const CsvRejected& a, const CsvRejected& b) { return a.line < b.line; });
  return out;
}

}  // namespace gatehouse::controller
