#include "controller/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>

#include "base/log.h"
#include "controller/access_service.h"
#include "controller/database.h"
#include "controller/db_worker.h"
#include "controller/door_service.h"
#include "controller/key_vault.h"
#include "controller/reader_service.h"
#include "controller/doors/modbus_bus.h"
#include "controller/event_writer.h"
#include "controller/http_api.h"
#include "controller/http_server.h"
#include "controller/status.h"
#include "db/migrate.h"

namespace gatehouse::controller {
namespace asio = boost::asio;

int run_serve(const ServeOptions& options) {
  // A database that does not answer must not hold up start-up or shutdown for long.
  setenv("PGCONNECT_TIMEOUT", "2", /*overwrite=*/0);

  const auto var_dir = resolve_var_dir(options.var_dir);
  auto location = DatabaseLocation::resolve(var_dir);
  if (!location.ok()) {
    log(LogLevel::kError, "controller", "cannot start the database",
        {{"error", location.error().message}});
    return 1;
  }
  // No journal, no events: refuse to run rather than decide without a record.
  auto events = EventWriter::open(location->conninfo(), var_dir / "events", 5, 15);
  if (!events.ok()) {
    log(LogLevel::kError, "controller", "cannot open the event journal",
        {{"error", events.error().message}});
    return 1;
  }
  EventWriter& writer = **events;
  // Reader keys are stored sealed under this file; without it no key is safe.
  auto vault = KeyVault::open(key_file_path(var_dir));
  if (!vault.ok()) {
    log(LogLevel::kError, "controller", "cannot open the key vault", {{"error", vault.error().message}});
    return 1;
  }

  asio::io_context ioc(1);
  ControllerStatus status(SystemClock::instance(), db::latest_schema_version(),
                          location->embedded());
  AccessService access(&writer);
  int exit_code = 0;

  ApiContext api{status, &access, &writer, nullptr, nullptr, options.simulated_readers};
  HttpServer http(ioc, [&api](const HttpRequest& request) { return route_request(request, api); });
  if (Status listening = http.listen(options.listen); !listening.ok()) {
    log(LogLevel::kError, "controller", "cannot serve HTTP", {{"error", listening.error().message}});
    return 1;
  }
  auto endpoint = http.local_endpoint();
  log(LogLevel::kInfo, "http", "listening",
      {{"addr", endpoint.address().to_string() + ":" + std::to_string(endpoint.port())}});
  if (options.simulated_readers) {
    log(LogLevel::kWarn, "http",
        "simulated readers are ON: badge reads are accepted over HTTP (demo and test use only)");
  }

  auto shut_down = [&ioc, &http] {
    http.stop();
    ioc.stop();
  };

  // Doors and their I/O, built from the site (and rebuilt when its doors or
  // modules change). Reactor thread only.
  std::shared_ptr<const site::Site> door_site;
  std::unique_ptr<DoorService> doors;
  std::unique_ptr<doors::ModbusIo> io;
  auto stop_doors = [&] {
    if (io) io->stop();  // joins the bus threads: no callback after this
    io.reset();
    api.doors = nullptr;
    doors.reset();
  };
  auto build_doors = [&](std::shared_ptr<const site::Site> site) {
    if (door_site && door_site->doors == site->doors && door_site->io_modules == site->io_modules &&
        door_site->schedules == site->schedules && door_site->timezone == site->timezone) {
      return;  // nothing the doors depend on changed: keep their state
    }
    stop_doors();
    door_site = site;
    doors = std::make_unique<DoorService>(ioc, *site, &writer);
    if (!site->io_modules.empty()) {
      auto created = doors::ModbusIo::create(site->io_modules, doors->io_callbacks());
      if (created.ok()) {
        io = std::move(created).value();
        doors->set_io(io.get());
        io->start();
      } else {
        log(LogLevel::kError, "doors", "cannot start the door I/O; doors stay unknown",
            {{"error", created.error().message}});
      }
    }
    doors->start();
    api.doors = doors.get();
    log(LogLevel::kInfo, "doors", "doors started",
        {{"doors", std::to_string(site->doors.size())},
         {"io_modules", std::to_string(site->io_modules.size())}});
  };
  // Readers, built from the site and the readers' keys; rebuilt when either changes.
  std::shared_ptr<const site::Site> current_site;
  std::unique_ptr<ReaderService> readers;
  auto stop_readers = [&] {
    api.readers = nullptr;
    if (readers) readers->stop();
    readers.reset();
  };
  auto build_readers = [&](const std::map<std::string, SealedReaderSecurity>& sealed) {
    if (!current_site) return;
    stop_readers();
    std::map<std::string, ReaderSecurity> security;
    for (const auto& [id, s] : sealed) {
      ReaderSecurity open;
      open.install_mode = s.install_mode;
      if (s.key) {
        auto key = vault->open_key(*s.key);
        if (key.ok()) {
          open.scbk = *key;
        } else {
          log(LogLevel::kError, "readers", "reader key does not open", {{"error", key.error().message}});
        }
      }
      security[id] = open;
    }
    readers = std::make_unique<ReaderService>(
        ioc, *current_site, access, &writer, std::move(security),
        [&writer, &vault](const std::string& reader_id, const readers::osdp::Key& key) {
          writer.submit(vault->seal(reader_id, key, "controller"));
        });
    readers->start();
    api.readers = readers.get();
  };

  access.set_grant_handler([&doors](const access::Decision& d) {
    if (doors) doors->grant(d.door_id.str());
  });
  access.set_observer([&doors](const AccessChange& change) {
    if (doors) doors->apply(change);
  });

  AccessSink sink;
  sink.install_site = [&ioc, build_doors, &current_site](std::shared_ptr<const site::Site> site) {
    asio::post(ioc, [build_doors, site, &current_site] {
      current_site = site;
      build_doors(site);
    });
  };
  sink.reader_security = [&ioc, build_readers](std::map<std::string, SealedReaderSecurity> sealed) {
    asio::post(ioc, [build_readers, sealed = std::move(sealed)] { build_readers(sealed); });
  };
  sink.install = [&ioc, &access](std::shared_ptr<access::Snapshot> snapshot) {
    asio::post(ioc, [&access, snapshot] { access.install(std::move(*snapshot)); });
  };
  sink.apply = [&ioc, &access](AccessChange change) {
    asio::post(ioc, [&access, change = std::move(change)] { access.apply(change); });
  };
  sink.pin_policy = [&writer](int attempts, int lockout) { writer.set_pin_policy(attempts, lockout); };

  DbWorker worker(location->conninfo(), status, std::move(sink),
                  [&ioc, &exit_code, shut_down](Error error) {
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

  writer.start();
  worker.start();
  log(LogLevel::kInfo, "controller", "started");
  ioc.run();

  worker.stop();
  stop_readers();
  stop_doors();
  writer.stop();
  location->release();
  log(LogLevel::kInfo, "controller", "stopped", {{"exit_code", std::to_string(exit_code)}});
  return exit_code;
}

}  // namespace gatehouse::controller
