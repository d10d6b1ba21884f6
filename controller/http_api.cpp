#include "controller/http_api.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/access_service.h"
#include "controller/door_service.h"
#include "controller/reader_service.h"
#include "readers/wiegand.h"

namespace gatehouse::controller {
namespace {

using nlohmann::json;

bool healthy(const StatusSnapshot& s) {
  return s.database_reachable && s.schema_version == s.latest_schema_version;
}

HttpResponse error_response(int status, const std::string& message) {
  return HttpResponse{status, "application/json", json{{"error", message}}.dump()};
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::string& value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += value;
  out += '\n';
}

std::string path_of(const std::string& target) {
  auto q = target.find('?');
  return q == std::string::npos ? target : target.substr(0, q);
}

std::string html_escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

HttpResponse handle_index(const StatusSnapshot& s) {
  std::string body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Gatehouse</title></head><body>\n<h1>Gatehouse</h1>\n";
  body += "<p id=\"site\">Site: " +
          (s.site_loaded ? html_escape(s.site_name) : std::string("none applied yet")) + "</p>\n";
  body += "<p id=\"database\">Database: " +
          std::string(s.database_reachable ? "reachable" : "unreachable") + ", schema version " +
          std::to_string(s.schema_version) + (s.database_embedded ? " (embedded)" : "") + "</p>\n";
  if (s.site_loaded) {
    body += "<ul>\n";
    for (const auto& [kind, n] : s.site_counts) {
      body += "<li>" + html_escape(kind) + ": " + std::to_string(n) + "</li>\n";
    }
    body += "</ul>\n";
  }
  body +=
      "<p><a href=\"/healthz\">/healthz</a> &middot; <a href=\"/metrics\">/metrics</a></p>\n"
      "</body></html>\n";
  return HttpResponse{200, "text/html; charset=utf-8", body};
}

HttpResponse handle_healthz(const StatusSnapshot& s) {
  json database = {{"reachable", s.database_reachable},
                   {"embedded", s.database_embedded},
                   {"schema_version", s.schema_version},
                   {"latest_schema_version", s.latest_schema_version}};
  if (!s.database_error.empty()) database["error"] = s.database_error;
  json site = {{"loaded", s.site_loaded}};
  if (s.site_loaded) {
    site["name"] = s.site_name;
    for (const auto& [kind, n] : s.site_counts) site[kind] = n;
  }
  json body = {{"status", healthy(s) ? "ok" : "degraded"},
               {"database", database},
               {"site", site},
               {"uptime_s", s.uptime_s}};
  return HttpResponse{healthy(s) ? 200 : 503, "application/json", body.dump()};
}

HttpResponse handle_metrics(const StatusSnapshot& s, const AccessMetrics& a) {
  std::string out;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", s.uptime_s);
  metric(out, "gatehouse_uptime_seconds", "gauge", "Seconds since the controller started.", buf);
  metric(out, "gatehouse_database_up", "gauge", "1 when the database answers, else 0.",
         s.database_reachable ? "1" : "0");
  metric(out, "gatehouse_database_reconnects_total", "counter",
         "Times the database came back after being lost.", std::to_string(s.database_reconnects));
  metric(out, "gatehouse_schema_version", "gauge", "Schema version of the connected database.",
         std::to_string(s.schema_version));
  metric(out, "gatehouse_site_loaded", "gauge", "1 when a site configuration is loaded.",
         s.site_loaded ? "1" : "0");
  out += "# HELP gatehouse_site_entities Entities in the loaded site, by kind.\n";
  out += "# TYPE gatehouse_site_entities gauge\n";
  for (const auto& [kind, n] : s.site_counts) {
    out += "gatehouse_site_entities{kind=\"" + label_value(kind) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP gatehouse_http_requests_total HTTP requests served, by method, path and status.\n";
  out += "# TYPE gatehouse_http_requests_total counter\n";
  for (const auto& [key, n] : s.http_requests) {
    auto sp1 = key.find(' ');
    auto sp2 = key.rfind(' ');
    out += "gatehouse_http_requests_total{method=\"" + label_value(key.substr(0, sp1)) +
           "\",path=\"" + label_value(key.substr(sp1 + 1, sp2 - sp1 - 1)) + "\",code=\"" +
           key.substr(sp2 + 1) + "\"} " + std::to_string(n) + "\n";
  }
  metric(out, "gatehouse_access_ready", "gauge", "1 when a decision snapshot is loaded.",
         a.ready ? "1" : "0");
  metric(out, "gatehouse_access_badges", "gauge", "Badges in the decision snapshot.",
         std::to_string(a.badges));
  metric(out, "gatehouse_access_people", "gauge", "People in the decision snapshot.",
         std::to_string(a.people));
  metric(out, "gatehouse_access_change_failures_total", "counter",
         "Database changes the snapshot refused (the row then opens nothing).",
         std::to_string(a.change_failures));
  out += "# HELP gatehouse_access_decisions_total Access decisions, by reason code.\n";
  out += "# TYPE gatehouse_access_decisions_total counter\n";
  for (const auto& [reason, n] : a.decisions_by_reason) {
    out += "gatehouse_access_decisions_total{reason=\"" + label_value(reason) + "\"} " +
           std::to_string(n) + "\n";
  }
  metric(out, "gatehouse_events_journaled_total", "counter",
         "Events written to the local journal.", std::to_string(a.events.journaled));
  metric(out, "gatehouse_events_stored_total", "counter", "Events stored in PostgreSQL.",
         std::to_string(a.events.stored));
  metric(out, "gatehouse_events_pending", "gauge",
         "Events journaled but not yet stored in PostgreSQL.", std::to_string(a.events.pending));
  metric(out, "gatehouse_events_store_failures_total", "counter",
         "Failed attempts to store events (they stay journaled).",
         std::to_string(a.events.store_failures));
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", out};
}

HttpResponse handle_doors(const DoorService* doors) {
  json out = json::array();
  if (doors != nullptr) {
    for (const auto& s : doors->status()) {
      json conditions = json::array();
      for (auto c : s.conditions) conditions.push_back(std::string(doors::alarm_kind_name(c)));
      json d = {{"door", s.door_id},
                {"state", std::string(doors::state_name(s.state))},
                {"mode", std::string(doors::mode_name(s.mode))},
                {"online", s.online},
                {"fail", std::string(site::to_string(s.fail))},
                {"conditions", conditions}};
      if (!s.allowed_group.empty()) d["allowed_group"] = s.allowed_group;
      d["lock_unlocked"] = s.lock_confirmed_unlocked ? json(*s.lock_confirmed_unlocked) : json(nullptr);
      d["contact_open"] = s.contact_open ? json(*s.contact_open) : json(nullptr);
      out.push_back(d);
    }
  }
  return HttpResponse{200, "application/json", json{{"doors", out}}.dump()};
}

HttpResponse handle_present(const HttpRequest& request, const std::string& reader_id,
                            ApiContext& context) {
  if (!context.simulated_readers) {
    return error_response(403, "simulated readers are off (start serve with --simulated-readers)");
  }
  if (context.access == nullptr) return error_response(503, "no decision path");
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400, "body is not a JSON object");
  }
  Result<readers::RawCard> card = make_error(ErrorKind::kInvalidInput,
                                             "give \"bits\" (\"0101...\") or \"card\" "
                                             "(\"H10301:18:1234\")");
  if (body.contains("bits") && body["bits"].is_string()) {
    card = readers::raw_card_from_bit_string(body["bits"].get<std::string>());
  } else if (body.contains("card") && body["card"].is_string()) {
    // FORMAT:FACILITY:NUMBER, encoded with correct parity as a reader would send it.
    std::vector<std::string> parts;
    std::stringstream ss(body["card"].get<std::string>());
    for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
    auto format = parts.size() == 3 ? readers::parse_format_name(parts[0]) : std::nullopt;
    bool numeric = parts.size() == 3 && !parts[1].empty() && !parts[2].empty() &&
                   parts[1].size() < 19 && parts[2].size() < 19 &&
                   parts[1].find_first_not_of("0123456789") == std::string::npos &&
                   parts[2].find_first_not_of("0123456789") == std::string::npos;
    if (format && numeric) {
      card = readers::encode_card(*format, std::stoull(parts[1]), std::stoull(parts[2]));
    } else {
      card = make_error(ErrorKind::kInvalidInput, "\"card\" is not FORMAT:FACILITY:NUMBER");
    }
  }
  if (!card.ok()) return error_response(400, card.error().message);
  std::optional<std::string> pin;
  if (body.contains("pin") && body["pin"].is_string()) pin = body["pin"].get<std::string>();

  auto decision = context.access->present(reader_id, *card, pin, context.clock->wall());
  if (!decision.ok()) {
    int status = decision.error().kind == ErrorKind::kNotFound      ? 404
                 : decision.error().kind == ErrorKind::kUnavailable ? 503
                                                                    : 400;
    return error_response(status, decision.error().message);
  }
  const access::Decision& d = *decision;
  json out = {{"granted", d.granted},
              {"reason", std::string(access::reason_code(d.reason))},
              {"door", d.door_id.str()},
              {"reader", d.reader_id.str()},
              {"at", format_utc(d.at)}};
  if (d.badge_id != 0) out["badge"] = d.badge_id;
  if (d.person_id != 0) out["person"] = d.person_id;
  if (!d.credential.empty()) out["credential"] = d.credential.str();
  return HttpResponse{200, "application/json", out.dump()};
}

HttpResponse route_request(const HttpRequest& request, ApiContext& context) {
  ControllerStatus& status = context.status;
  const std::string path = path_of(request.target);
  HttpResponse response;
  // Unknown paths are counted under one label so a scanner cannot grow the metrics without bound.
  std::string counted_path = path;
  const std::string readers_prefix = "/api/v1/readers/";
  const std::string present_suffix = "/present";
  if (path.rfind(readers_prefix, 0) == 0 && path.size() > readers_prefix.size() + present_suffix.size() &&
      path.compare(path.size() - present_suffix.size(), present_suffix.size(), present_suffix) == 0) {
    std::string reader = path.substr(readers_prefix.size(),
                                     path.size() - readers_prefix.size() - present_suffix.size());
    counted_path = readers_prefix + "{reader}" + present_suffix;
    response = request.method == "POST" ? handle_present(request, reader, context)
                                        : error_response(405, "method not allowed");
  } else if (path == "/api/v1/readers") {
    json out = json::array();
    if (context.readers != nullptr) {
      for (const auto& r : context.readers->status()) {
        out.push_back({{"reader", r.reader_id}, {"door", r.door_id}, {"line_connected", r.line_connected},
                       {"online", r.online}, {"secure", r.secure}, {"state", r.state},
                       {"identity", r.identity}, {"capabilities", r.capabilities}});
      }
    }
    response = request.method == "GET"
                   ? HttpResponse{200, "application/json", json{{"readers", out}}.dump()}
                   : error_response(405, "method not allowed");
  } else if (path == "/api/v1/doors") {
    response = request.method == "GET" ? handle_doors(context.doors)
                                       : error_response(405, "method not allowed");
  } else if (path == "/" || path == "/healthz" || path == "/metrics") {
    if (request.method != "GET" && request.method != "HEAD") {
      response = error_response(405, "method not allowed");
    } else if (path == "/") {
      response = handle_index(status.snapshot());
    } else if (path == "/healthz") {
      response = handle_healthz(status.snapshot());
    } else {
      AccessMetrics a;
      if (context.access != nullptr) {
        a.ready = context.access->ready();
        a.badges = context.access->badges();
        a.people = context.access->people();
        a.change_failures = context.access->change_failures();
        a.decisions_by_reason = context.access->decisions_by_reason();
      }
      if (context.events != nullptr) a.events = context.events->counters();
      response = handle_metrics(status.snapshot(), a);
      if (context.readers != nullptr) {
        std::string& out = response.body;
        int online = 0;
        for (const auto& r : context.readers->status()) online += r.online ? 1 : 0;
        metric(out, "gatehouse_readers_online", "gauge", "Readers answering their control panel.",
               std::to_string(online));
        out += "# HELP gatehouse_osdp_dropped_total OSDP packets dropped, by reason.\n"
               "# TYPE gatehouse_osdp_dropped_total counter\n";
        for (const auto& [reason, n] : context.readers->dropped()) {
          out += "gatehouse_osdp_dropped_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
        }
      }
      if (context.doors != nullptr) {
        std::map<std::string, int> by_state;
        std::map<std::string, int> conditions;
        int online = 0;
        auto doors = context.doors->status();
        for (const auto& s : doors) {
          ++by_state[std::string(doors::state_name(s.state))];
          for (auto c : s.conditions) ++conditions[std::string(doors::alarm_kind_name(c))];
          if (s.online) ++online;
        }
        std::string& out = response.body;
        out += "# HELP gatehouse_doors Doors by state.\n# TYPE gatehouse_doors gauge\n";
        for (const auto& [state, n] : by_state) {
          out += "gatehouse_doors{state=\"" + state + "\"} " + std::to_string(n) + "\n";
        }
        out += "# HELP gatehouse_door_conditions Alarm conditions present now, by kind.\n"
               "# TYPE gatehouse_door_conditions gauge\n";
        for (const auto& [kind, n] : conditions) {
          out += "gatehouse_door_conditions{kind=\"" + kind + "\"} " + std::to_string(n) + "\n";
        }
        metric(out, "gatehouse_doors_online", "gauge", "Doors whose I/O modules all answer.",
               std::to_string(online));
        metric(out, "gatehouse_input_bounces_suppressed_total", "counter",
               "Contact and button changes the debounce held back.",
               std::to_string(context.doors->suppressed_bounces()));
      }
    }
  } else {
    response = error_response(404, "no such resource: " + path);
    counted_path = "other";
  }
  status.count_request(request.method == "GET" || request.method == "HEAD" ||
                               request.method == "POST" || request.method == "PUT" ||
                               request.method == "DELETE"
                           ? request.method
                           : "other",
                       counted_path, response.status);
  return response;
}

}  // namespace gatehouse::controller
