#include "db/notify.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace gatehouse::db {
namespace {

// Takes what libpq has already received, then drains its notification queue.
Result<std::vector<Notification>> drain(Connection& conn) {
  PGconn* raw = conn.raw();
  if (PQconsumeInput(raw) == 0 || PQstatus(raw) != CONNECTION_OK) {
    return make_error(ErrorKind::kUnavailable,
                      std::string("database connection lost: ") + PQerrorMessage(raw));
  }
  std::vector<Notification> out;
  while (PGnotify* n = PQnotifies(raw)) {
    out.push_back({n->relname, n->extra != nullptr ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

}  // namespace

Status listen(Connection& conn, std::string_view channel) {
  auto r = conn.exec("LISTEN " + quote_identifier(channel));
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<Notification>> wait_for_notifications(Connection& conn,
                                                         std::chrono::milliseconds timeout) {
  auto ready = drain(conn);
  if (!ready.ok() || !ready->empty()) return ready;
  int fd = PQsocket(conn.raw());
  if (fd < 0) return make_error(ErrorKind::kUnavailable, "database connection has no socket");
  pollfd p{fd, POLLIN, 0};
  int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc < 0 && errno != EINTR) {
    return make_error(ErrorKind::kUnavailable, std::string("poll: ") + std::strerror(errno));
  }
  if (rc <= 0) return std::vector<Notification>{};
  return drain(conn);
}

}  // namespace gatehouse::db
