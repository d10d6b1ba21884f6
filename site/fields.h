// Internal to site/: typed reads of one TOML table, turning every wrong type,
// missing key, unknown key and out-of-range number into a Problem with a line
// and a dotted key, and remembering where each value sat so that the
// cross-reference checks (validate.cpp) can point at the same place.
//
// Ownership: a FieldReader borrows its table, problem list and EntityWhere;
// all three must outlive it.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "site/parser.h"

namespace gatehouse::site::detail {

struct Pos {
  int line = 0;
  int column = 0;
};

Pos pos_of(const toml::node& node);
Pos pos_of(const toml::key& key);

void add_problem(std::vector<Problem>& out, Pos pos, std::string key, std::string message);

// "a string", "an integer", ...: for "expected X, got Y" messages.
std::string_view type_phrase(toml::node_type type);

// Where one entity ([[door]] etc.) and its values were written.
struct EntityWhere {
  std::string path;  // "door.main-entrance", or "door[3]" when it has no usable id
  Pos at;            // its table header
  // Value positions by field: "reader", "lock.coil", "doors[1]".
  std::map<std::string, Pos, std::less<>> fields;
  // Fields that were missing, of the wrong type or out of range. Their model
  // value is a placeholder, so cross-reference checks must not judge it.
  std::set<std::string, std::less<>> bad;

  // The value's position, or the header's when the value was not written.
  Pos field(std::string_view name) const;
  bool valid(std::string_view name) const { return !bad.contains(name); }
};

class FieldReader {
 public:
  // `path` prefixes problem keys ("door.x"); `kind` names the table in
  // unknown-key messages ("door", "door lock"); `prefix` prefixes the field
  // names recorded in `where` ("lock.").
  FieldReader(const toml::table& table, std::string path, std::string kind,
              std::vector<Problem>& out, EntityWhere& where, std::string prefix = {});

  // Reports every key of the table that is not in `known`.
  void reject_unknown(std::span<const std::string_view> known);

  std::optional<std::string> string(std::string_view key, bool required);
  std::optional<int> integer(std::string_view key, bool required, int min, int max);
  std::optional<bool> boolean(std::string_view key);
  // One of `allowed`, as its index.
  std::optional<std::size_t> choice(std::string_view key, std::span<const std::string_view> allowed);
  // An array of strings; each element's position is recorded as "key[i]".
  // Repeats are problems (these lists are sets) and are dropped.
  std::optional<std::vector<std::string>> string_list(std::string_view key, bool required);
  const toml::table* table(std::string_view key, bool required);
  const toml::array* array(std::string_view key, bool required);

  // A reader for the inline table under `key` (door.x.lock), reporting to
  // the same list and recording into the same EntityWhere ("lock.coil").
  FieldReader child(const toml::table& table, std::string_view key, std::string kind) const;

  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;
  // Where `key` of this table was written; the table's header if it was not.
  Pos pos(std::string_view key) const;
  // Reports a problem with the value of `key` and marks it bad.
  void problem(std::string_view key, std::string message);
  std::vector<Problem>& out() { return out_; }

 private:
  // The node, or null after reporting it missing (when required) or of the
  // wrong type. Records the position when present.
  const toml::node* get(std::string_view key, bool required, toml::node_type type,
                        std::string_view expected);

  const toml::table& table_;
  std::string path_;
  std::string kind_;
  std::vector<Problem>& out_;
  EntityWhere& where_;
  std::string prefix_;
};

}  // namespace gatehouse::site::detail
