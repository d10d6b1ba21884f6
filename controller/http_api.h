// The controller's HTTP routes as plain functions of (request, status): no
// sockets here, so they are tested directly.
//   GET /         a small HTML status page for a person
//   GET /healthz  JSON; 200 when the database is reachable and the schema current, else 503
//   GET /metrics  Prometheus text exposition format 0.0.4
#pragma once

#include "controller/http_server.h"
#include "controller/status.h"

namespace gatehouse::controller {

HttpResponse handle_index(const StatusSnapshot& s);
HttpResponse handle_healthz(const StatusSnapshot& s);
HttpResponse handle_metrics(const StatusSnapshot& s);

// Routes a request and counts it in status.
HttpResponse route_request(const HttpRequest& request, ControllerStatus& status);

}  // namespace gatehouse::controller
