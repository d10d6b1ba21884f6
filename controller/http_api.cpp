#include "controller/http_api.h"

#include <cstdio>
#include <nlohmann/json.hpp>

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

HttpResponse handle_metrics(const StatusSnapshot& s) {
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
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", out};
}

HttpResponse route_request(const HttpRequest& request, ControllerStatus& status) {
  const std::string path = path_of(request.target);
  HttpResponse response;
  // Unknown paths are counted under one label so a scanner cannot grow the metrics without bound.
  std::string counted_path = path;
  if (path == "/" || path == "/healthz" || path == "/metrics") {
    if (request.method != "GET" && request.method != "HEAD") {
      response = error_response(405, "method not allowed");
    } else if (path == "/") {
      response = handle_index(status.snapshot());
    } else if (path == "/healthz") {
      response = handle_healthz(status.snapshot());
    } else {
      response = handle_metrics(status.snapshot());
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
