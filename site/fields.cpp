#include "site/fields.h"

#include <algorithm>
#include <utility>

namespace gatehouse::site::detail {

Pos pos_of(const toml::node& node) {
  return Pos{static_cast<int>(node.source().begin.line),
             static_cast<int>(node.source().begin.column)};
}

Pos pos_of(const toml::key& key) {
  return Pos{static_cast<int>(key.source().begin.line),
             static_cast<int>(key.source().begin.column)};
}

void add_problem(std::vector<Problem>& out, Pos pos, std::string key, std::string message) {
  out.push_back(Problem{pos.line, pos.column, std::move(key), std::move(message)});
}

std::string_view type_phrase(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "a value";
}

Pos EntityWhere::field(std::string_view name) const {
  auto it = fields.find(name);
  return it == fields.end() ? at : it->second;
}

FieldReader::FieldReader(const toml::table& table, std::string path, std::string kind,
                         std::vector<Problem>& out, EntityWhere& where, std::string prefix)
    : table_(table),
      path_(std::move(path)),
      kind_(std::move(kind)),
      out_(out),
      where_(where),
      prefix_(std::move(prefix)) {}

FieldReader FieldReader::child(const toml::table& table, std::string_view key,
                               std::string kind) const {
  return FieldReader(table, key_path(key), std::move(kind), out_, where_,
                     prefix_ + std::string(key) + ".");
}

std::string FieldReader::key_path(std::string_view key) const {
  return path_ + "." + std::string(key);
}

Pos FieldReader::pos(std::string_view key) const {
  auto it = where_.fields.find(prefix_ + std::string(key));
  return it == where_.fields.end() ? pos_of(table_) : it->second;
}

void FieldReader::problem(std::string_view key, std::string message) {
  add_problem(out_, pos(key), key_path(key), std::move(message));
  where_.bad.insert(prefix_ + std::string(key));
}

void FieldReader::reject_unknown(std::span<const std::string_view> known) {
  for (const auto& [key, node] : table_) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    std::string list;
    for (auto k : known) {
      if (!list.empty()) list += ", ";
      list += k;
    }
    add_problem(out_, pos_of(key), key_path(key.str()),
                "unknown key '" + std::string(key.str()) + "' in " + kind_ +
                    "; known keys: " + list);
  }
}

const toml::node* FieldReader::get(std::string_view key, bool required, toml::node_type type,
                                   std::string_view expected) {
  const toml::node* node = table_.get(key);
  if (node == nullptr) {
    if (required) problem(key, "missing required key '" + std::string(key) + "' in " + kind_);
    return nullptr;
  }
  where_.fields[prefix_ + std::string(key)] = pos_of(*node);
  if (node->type() != type) {
    problem(key, "expected " + std::string(expected) + ", got " +
                     std::string(type_phrase(node->type())));
    return nullptr;
  }
  return node;
}

std::optional<std::string> FieldReader::string(std::string_view key, bool required) {
  const toml::node* node = get(key, required, toml::node_type::string, "a string");
  if (node == nullptr) return std::nullopt;
  return node->as_string()->get();
}

std::optional<int> FieldReader::integer(std::string_view key, bool required, int min, int max) {
  const toml::node* node = get(key, required, toml::node_type::integer, "an integer");
  if (node == nullptr) return std::nullopt;
  std::int64_t v = node->as_integer()->get();
  if (v < min || v > max) {
    problem(key, "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                    std::to_string(v));
    return std::nullopt;
  }
  return static_cast<int>(v);
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  const toml::node* node =
      get(key, false, toml::node_type::boolean, "a boolean (true or false)");
  if (node == nullptr) return std::nullopt;
  return node->as_boolean()->get();
}

std::optional<std::size_t> FieldReader::choice(std::string_view key,
                                               std::span<const std::string_view> allowed) {
  const toml::node* node = get(key, false, toml::node_type::string, "a string");
  if (node == nullptr) return std::nullopt;
  const std::string& v = node->as_string()->get();
  auto it = std::find(allowed.begin(), allowed.end(), v);
  if (it != allowed.end()) return static_cast<std::size_t>(it - allowed.begin());
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += "\"" + std::string(a) + "\"";
  }
  problem(key, "\"" + v + "\" is not allowed; expected one of " + list);
  return std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::string_list(std::string_view key,
                                                                 bool required) {
  const toml::node* node =
      get(key, required, toml::node_type::array, "an array of strings");
  if (node == nullptr) return std::nullopt;
  const toml::array* arr = node->as_array();
  std::vector<std::string> values;
  std::map<std::string, int> first_line;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    if (!el.is_string()) {
      add_problem(out_, pos_of(el), key_path(key),
                  "expected a string, got " + std::string(type_phrase(el.type())));
      continue;
    }
    const std::string& v = el.as_string()->get();
    if (auto [it, fresh] = first_line.emplace(v, pos_of(el).line); !fresh) {
      add_problem(out_, pos_of(el), key_path(key), "'" + v + "' is listed twice");
      continue;
    }
    where_.fields[prefix_ + std::string(key) + "[" + std::to_string(values.size()) + "]"] =
        pos_of(el);
    values.push_back(v);
  }
  return values;
}

const toml::table* FieldReader::table(std::string_view key, bool required) {
  const toml::node* node = get(key, required, toml::node_type::table, "a table");
  return node == nullptr ? nullptr : node->as_table();
}

const toml::array* FieldReader::array(std::string_view key, bool required) {
  const toml::node* node = get(key, required, toml::node_type::array, "an array");
  return node == nullptr ? nullptr : node->as_array();
}

}  // namespace gatehouse::site::detail
