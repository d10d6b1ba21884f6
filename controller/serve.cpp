#include "controller/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>

#include "base/log.h"
#include "controller/database.h"
#include "controller/db_worker.h"
#include "controller/http_api.h"
#include "controller/http_server.h"
#include "controller/status.h"
#include "db/migrate.h"

namespace gatehouse::controller {
namespace asio = boost::asio;

int run_serve(const ServeOptions& options) {
  // A database that does not answer must not hold up start-up or shutdown for long.
  setenv("PGCONNECT_TIMEOUT", "2", /*overwrite=*/0);

  auto location = DatabaseLocation::resolve(resolve_var_dir(options.var_dir));
  if (!location.ok()) {
    log(LogLevel::kError, "controller", "cannot start the database",
        {{"error", location.error().message}});
    return 1;
  }

  asio::io_context ioc(1);
  ControllerStatus status(SystemClock::instance(), db::latest_schema_version(),
                          location->embedded());
  int exit_code = 0;

  HttpServer http(ioc, [&status](const HttpRequest& request) {
    return route_request(request, status);
  });
  if (Status listening = http.listen(options.listen); !listening.ok()) {
    log(LogLevel::kError, "controller", "cannot serve HTTP", {{"error", listening.error().message}});
    return 1;
  }
  auto endpoint = http.local_endpoint();
  log(LogLevel::kInfo, "http", "listening",
      {{"addr", endpoint.address().to_string() + ":" + std::to_string(endpoint.port())}});

  auto shut_down = [&ioc, &http] {
    http.stop();
    ioc.stop();
  };

  DbWorker worker(location->conninfo(), status, [&ioc, &exit_code, shut_down](Error error) {
    asio::post(ioc, [&exit_code, shut_down, error] {
      log(LogLevel::kError, "controller", "stopping: database refused",
          {{"error", error.message}});
      exit_code = 1;
      shut_down();
    });
  });

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([shut_down](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log(LogLevel::kInfo, "controller", "stopping", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
    shut_down();
  });

  worker.start();
  log(LogLevel::kInfo, "controller", "started");
  ioc.run();

  worker.stop();
  location->release();
  log(LogLevel::kInfo, "controller", "stopped", {{"exit_code", std::to_string(exit_code)}});
  return exit_code;
}

}  // namespace gatehouse::controller
