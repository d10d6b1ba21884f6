// The controller's HTTP routes as plain functions of (request, status): no
// sockets here, so they are tested directly.
//   GET /         a small HTML status page for a person
//   GET /healthz  JSON; 200 when the database is reachable and the schema current, else 503
//   GET /metrics  Prometheus text exposition format 0.0.4
//   GET /api/v1/doors  every door's state, mode, lock, contact, link and conditions
//   GET /api/v1/readers  every reader's line, link and Secure Channel state
//   POST /api/v1/readers/{reader}/present   a simulated badge read (only with
//                 serve --simulated-readers): decided and recorded as a reader's
//
// Handlers run on the reactor (one thread), so they may use the AccessService.
#pragma once

#include <map>

#include "base/clock.h"
#include "controller/event_writer.h"
#include "controller/http_server.h"
#include "controller/status.h"

namespace gatehouse::controller {

class AccessService;
class DoorService;
class ReaderService;

struct AccessMetrics {
  bool ready = false;
  std::size_t badges = 0;
  std::size_t people = 0;
  std::int64_t change_failures = 0;
  std::map<std::string, std::int64_t> decisions_by_reason;
  EventWriterCounters events;
};

struct ApiContext {
  ControllerStatus& status;
  AccessService* access = nullptr;      // null: no decision path (tests of health alone)
  const EventWriter* events = nullptr;  // null: no event counters
  DoorService* doors = nullptr;         // null until a site with doors is loaded
  ReaderService* readers = nullptr;     // null until a site is loaded
  bool simulated_readers = false;
  const Clock* clock = &SystemClock::instance();
};

HttpResponse handle_index(const StatusSnapshot& s);
HttpResponse handle_healthz(const StatusSnapshot& s);
HttpResponse handle_metrics(const StatusSnapshot& s, const AccessMetrics& a = {});
HttpResponse handle_doors(const DoorService* doors);
HttpResponse handle_present(const HttpRequest& request, const std::string& reader_id,
                            ApiContext& context);

// Routes a request and counts it in status.
HttpResponse route_request(const HttpRequest& request, ApiContext& context);

}  // namespace gatehouse::controller
