// LISTEN/NOTIFY on a Connection: the way every running controller hears about a
// change any writer committed (triggers call pg_notify; see docs/schema.md).
//
// Thread safety: like Connection, one thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "db/pg.h"

namespace gatehouse::db {

struct Notification {
  std::string channel;
  std::string payload;
};

// LISTEN on a channel (our constant, quoted as an identifier).
Status listen(Connection& conn, std::string_view channel);

// Waits up to `timeout` for notifications and returns those that arrived
// (possibly none). kUnavailable when the connection is lost.
Result<std::vector<Notification>> wait_for_notifications(Connection& conn,
                                                         std::chrono::milliseconds timeout);

}  // namespace gatehouse::db
