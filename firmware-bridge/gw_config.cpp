#include "firmware-bridge/gw_config.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace gatehouse::bridge {
namespace {

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::vector<ConfigProblem>& problems)
      : table_(table), path_(std::move(path)), problems_(problems) {}

  void problem(int line, std::string_view key, std::string message) {
    problems_.push_back(ConfigProblem{line, path_ + (key.empty() ? "" : "." + std::string(key)),
                                      std::move(message)});
  }
  int line() const { return line_of(table_); }

  const toml::node* get(std::string_view key, bool required, toml::node_type type, std::string_view what) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) problem(line(), key, "missing; expected " + std::string(what));
      return nullptr;
    }
    if (node->type() != type) {
      problem(line_of(*node), key, "expected " + std::string(what));
      return nullptr;
    }
    return node;
  }

  std::optional<std::string> string(std::string_view key, bool required) {
    const toml::node* n = get(key, required, toml::node_type::string, "a string");
    if (!n) return std::nullopt;
    return n->as_string()->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t lo, std::int64_t hi) {
    const toml::node* n = get(key, required, toml::node_type::integer, "an integer");
    if (!n) return std::nullopt;
    std::int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) {
      problem(line_of(*n), key,
              std::to_string(v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }

  bool has(std::string_view key) const { return table_.get(key) != nullptr; }
  int key_line(std::string_view key) const {
    const toml::node* n = table_.get(key);
    return n ? line_of(*n) : line();
  }

  // Keys the reader never asked for are typos: refused, not ignored.
  void refuse_unknown_keys() {
    for (const auto& [k, v] : table_) {
      if (!seen_.count(std::string(k.str()))) {
        problem(static_cast<int>(k.source().begin.line), k.str(), "unknown key");
      }
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::vector<ConfigProblem>& problems_;
  std::set<std::string> seen_;
};

bool valid_baud(std::int64_t b) {
  return b == 1200 || b == 2400 || b == 4800 || b == 9600 || b == 19200 || b == 38400 || b == 57600 ||
         b == 115200 || b == 230400;
}

std::optional<Endpoint> read_listen(TableReader& r) {
  auto text = r.string("listen", true);
  if (!text) return std::nullopt;
  auto colon = text->rfind(':');
  std::string host = colon == std::string::npos ? "" : text->substr(0, colon);
  std::string port = colon == std::string::npos ? "" : text->substr(colon + 1);
  if (!host.empty() && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (host.empty() || !digits || std::stoul(port) > 65535) {
    r.problem(r.key_line("listen"), "listen",
              "'" + *text + "' is not HOST:PORT (e.g. \"127.0.0.1:4001\"; port 0..65535)");
    return std::nullopt;
  }
  return Endpoint{host, static_cast<std::uint16_t>(std::stoul(port))};
}

std::optional<SerialSettings> read_serial(TableReader& r, unsigned default_baud, bool with_parity) {
  SerialSettings s;
  s.baud = default_baud;
  bool ok = true;
  if (auto device = r.string("serial", true)) {
    if (device->empty()) {
      r.problem(r.key_line("serial"), "serial", "empty device path");
      ok = false;
    }
    s.device = *device;
  } else {
    ok = false;
  }
  if (auto baud = r.integer("baud", false, 1, 4'000'000)) {
    if (valid_baud(*baud)) {
      s.baud = static_cast<unsigned>(*baud);
    } else {
      r.problem(r.key_line("baud"), "baud",
                std::to_string(*baud) + " is not a standard rate (1200 .. 230400, e.g. 9600, 19200, 115200)");
      ok = false;
    }
  } else if (r.has("baud")) {
    ok = false;
  }
  if (with_parity) {
    if (auto parity = r.string("parity", false)) {
      if (*parity == "N" || *parity == "E" || *parity == "O") {
        s.parity = (*parity)[0];
      } else {
        r.problem(r.key_line("parity"), "parity", "'" + *parity + "' is not N, E or O");
        ok = false;
      }
    } else if (r.has("parity")) {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return s;
}

std::string table_path(std::string_view kind, std::size_t index) {
  return std::string(kind) + "[" + std::to_string(index + 1) + "]";
}

template <typename F>
void each_table(const toml::table& root, std::string_view kind, std::vector<ConfigProblem>& problems, F f) {
  const toml::node* node = root.get(kind);
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr) {
    problems.push_back({line_of(*node), std::string(kind),
                        "expected an array of tables: write [[" + std::string(kind) + "]]"});
    return;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = arr->get(i)->as_table();
    if (!t) {
      problems.push_back({line_of(*arr->get(i)), table_path(kind, i), "expected a table"});
      continue;
    }
    TableReader r(*t, table_path(kind, i), problems);
    f(r);
    r.refuse_unknown_keys();
  }
}

}  // namespace

ConfigOutcome parse_gateway_config_text(std::string_view text, std::string_view source_name) {
  ConfigOutcome out;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    out.problems.push_back({static_cast<int>(e.source().begin.line), "", std::string(e.description())});
    return out;
  }
  for (const auto& [k, v] : root) {
    if (k.str() != "osdp_relay" && k.str() != "modbus_gateway" && k.str() != "wiegand_reader") {
      out.problems.push_back({static_cast<int>(k.source().begin.line), std::string(k.str()),
                              "unknown key; expected [[osdp_relay]], [[modbus_gateway]] or [[wiegand_reader]]"});
    }
  }
  auto& problems = out.problems;
  each_table(root, "osdp_relay", problems, [&out](TableReader& r) {
    auto listen = read_listen(r);
    auto serial = read_serial(r, 9600, false);
    if (listen && serial) out.config.osdp_relays.push_back({*listen, *serial, r.line()});
  });
  each_table(root, "modbus_gateway", problems, [&out](TableReader& r) {
    auto listen = read_listen(r);
    auto serial = read_serial(r, 19200, true);
    auto timeout = r.integer("timeout_ms", false, 10, 10'000);
    bool timeout_bad = r.has("timeout_ms") && !timeout;
    if (listen && serial && !timeout_bad) {
      out.config.modbus_gateways.push_back({*listen, *serial, timeout ? static_cast<int>(*timeout) : 200, r.line()});
    }
  });
  each_table(root, "wiegand_reader", problems, [&out](TableReader& r) {
    auto listen = read_listen(r);
    auto serial = read_serial(r, 115200, false);
    // 0x7F is the broadcast address; a PD has one of 0..126.
    auto address = r.integer("address", false, 0, 126);
    bool address_bad = r.has("address") && !address;
    if (listen && serial && !address_bad) {
      out.config.wiegand_readers.push_back(
          {*listen, *serial, static_cast<std::uint8_t>(address ? *address : 0), r.line()});
    }
  });

  // One owner per serial device and per listening port.
  std::map<std::string, int> devices;
  std::map<std::pair<std::string, int>, int> ports;
  auto claim = [&problems, &devices, &ports](const Endpoint& listen, const SerialSettings& serial, int line,
                                             std::string_view kind) {
    if (auto [it, fresh] = devices.emplace(serial.device, line); !fresh) {
      problems.push_back({line, std::string(kind) + ".serial",
                          "'" + serial.device + "' is already used by the gateway at line " +
                              std::to_string(it->second)});
    }
    if (listen.port == 0) return;
    if (auto [it, fresh] = ports.emplace(std::pair{listen.host, int{listen.port}}, line); !fresh) {
      problems.push_back({line, std::string(kind) + ".listen",
                          "'" + listen.host + ":" + std::to_string(listen.port) +
                              "' is already used by the gateway at line " + std::to_string(it->second)});
    }
  };
  for (const auto& g : out.config.osdp_relays) claim(g.listen, g.serial, g.line, "osdp_relay");
  for (const auto& g : out.config.modbus_gateways) claim(g.listen, g.serial, g.line, "modbus_gateway");
  for (const auto& g : out.config.wiegand_readers) claim(g.listen, g.serial, g.line, "wiegand_reader");

  if (problems.empty() && out.config.osdp_relays.empty() && out.config.modbus_gateways.empty() &&
      out.config.wiegand_readers.empty()) {
    problems.push_back({0, "", "no gateway configured: add [[osdp_relay]], [[modbus_gateway]] or [[wiegand_reader]]"});
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) { return a.line < b.line; });
  return out;
}

ConfigOutcome parse_gateway_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigOutcome out;
    out.problems.push_back({0, "", "cannot read the file"});
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_gateway_config_text(text.str(), path);
}

std::string format_config_problem(const ConfigProblem& p, std::string_view source_name) {
  std::string s(source_name);
  if (p.line > 0) s += ":" + std::to_string(p.line);
  s += ": ";
  if (!p.key.empty()) s += p.key + ": ";
  return s + p.message;
}

}  // namespace gatehouse::bridge
