// The controller's HTTP routes, called as plain functions, and the Beast server
// over a real loopback socket.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "controller/http_api.h"
#include "controller/http_server.h"

namespace gatehouse::controller {
namespace {

using nlohmann::json;

StatusSnapshot healthy_snapshot() {
  StatusSnapshot s;
  s.database_reachable = true;
  s.database_embedded = true;
  s.schema_version = 3;
  s.latest_schema_version = 3;
  s.site_loaded = true;
  s.site_name = "Newcastle office";
  s.site_counts = {{"doors", 3}, {"readers", 3}};
  s.uptime_s = 12.5;
  return s;
}

TEST(Healthz, OkWhenDatabaseReachableAndSchemaCurrent) {
  HttpResponse r = handle_healthz(healthy_snapshot());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["database"]["reachable"], true);
  EXPECT_EQ(body["database"]["schema_version"], 3);
  EXPECT_EQ(body["database"]["embedded"], true);
  EXPECT_EQ(body["site"]["name"], "Newcastle office");
  EXPECT_EQ(body["site"]["doors"], 3);
  EXPECT_DOUBLE_EQ(body["uptime_s"].get<double>(), 12.5);
}

TEST(Healthz, DegradedWithTheReasonWhenDatabaseDown) {
  StatusSnapshot s = healthy_snapshot();
  s.database_reachable = false;
  s.database_error = "connection refused";
  HttpResponse r = handle_healthz(s);
  EXPECT_EQ(r.status, 503);
  json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["database"]["reachable"], false);
  EXPECT_EQ(body["database"]["error"], "connection refused");
}

TEST(Healthz, DegradedWhenSchemaBehind) {
  StatusSnapshot s = healthy_snapshot();
  s.schema_version = 2;
  EXPECT_EQ(handle_healthz(s).status, 503);
}

TEST(Metrics, PrometheusTextWithTypesAndValues) {
  StatusSnapshot s = healthy_snapshot();
  s.http_requests = {{"GET /healthz 200", 4}};
  HttpResponse r = handle_metrics(s);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.content_type.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE gatehouse_database_up gauge\ngatehouse_database_up 1\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("gatehouse_uptime_seconds 12.500\n"), std::string::npos);
  EXPECT_NE(r.body.find("gatehouse_schema_version 3\n"), std::string::npos);
  EXPECT_NE(r.body.find("gatehouse_site_entities{kind=\"doors\"} 3\n"), std::string::npos);
  EXPECT_NE(
      r.body.find("gatehouse_http_requests_total{method=\"GET\",path=\"/healthz\",code=\"200\"} 4\n"),
      std::string::npos);
  // Every sample line is "name{labels} value" or "name value"; every family has HELP and TYPE.
  std::size_t families = 0, helps = 0;
  for (std::size_t pos = 0; (pos = r.body.find("# TYPE ", pos)) != std::string::npos; ++pos) ++families;
  for (std::size_t pos = 0; (pos = r.body.find("# HELP ", pos)) != std::string::npos; ++pos) ++helps;
  EXPECT_EQ(families, helps);
  EXPECT_GE(families, 6u);
}

TEST(IndexPage, ShowsSiteAndDatabaseEscaped) {
  StatusSnapshot s = healthy_snapshot();
  s.site_name = "R&D <lab>";
  HttpResponse r = handle_index(s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("Site: R&amp;D &lt;lab&gt;"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Database: reachable, schema version 3 (embedded)"), std::string::npos);
  EXPECT_NE(r.body.find("<li>doors: 3</li>"), std::string::npos);
}

TEST(Routing, UnknownPathIs404AndCountedUnderOneLabel) {
  ControllerStatus status(SystemClock::instance(), 1, false);
  ApiContext context{status};
  HttpResponse r = route_request({"GET", "/nope/../etc", "", {}}, context);
  EXPECT_EQ(r.status, 404);
  route_request({"GET", "/another-scan", "", {}}, context);
  auto snap = status.snapshot();
  EXPECT_EQ(snap.http_requests.size(), 1u);
  EXPECT_EQ(snap.http_requests["GET other 404"], 2);
}

TEST(Routing, WrongMethodIs405) {
  ControllerStatus status(SystemClock::instance(), 1, false);
  ApiContext context{status};
  EXPECT_EQ(route_request({"POST", "/healthz", "{}", {}}, context).status, 405);
  EXPECT_EQ(route_request({"GET", "/healthz?verbose=1", "", {}}, context).status, 503);
  EXPECT_EQ(route_request({"GET", "/api/v1/readers/r1/present", "", {}}, context).status, 405);
  // Simulated readers are off unless serve was started with --simulated-readers.
  auto off = route_request({"POST", "/api/v1/readers/r1/present", "{\"bits\":\"01\"}", {}}, context);
  EXPECT_EQ(off.status, 403);
  EXPECT_NE(off.body.find("--simulated-readers"), std::string::npos);
}

TEST(ListenAddress, ParsesAndRejectsClearly) {
  auto ok = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->port(), 8080);
  EXPECT_TRUE(parse_listen_address("[::1]:0").ok());
  auto no_port = parse_listen_address("127.0.0.1");
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.error().message.find("HOST:PORT"), std::string::npos);
  EXPECT_FALSE(parse_listen_address("localhost:80").ok());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:99999").ok());
}

// The real server on loopback: it answers, keeps answering, and refuses a body over the limit.
TEST(HttpServerLoopback, ServesAndRefusesOversizedBodies) {
  boost::asio::io_context ioc;
  HttpLimits limits;
  limits.max_body_bytes = 1024;
  HttpServer server(ioc, [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.method + " " + r.target};
  }, limits);
  ASSERT_TRUE(server.listen("127.0.0.1:0").ok());
  int port = server.local_endpoint().port();
  std::thread io([&ioc] { ioc.run(); });

  auto first = testing::http_get("127.0.0.1", port, "/healthz");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "GET /healthz");
  auto second = testing::http_get("127.0.0.1", port, "/metrics?x=1");
  EXPECT_EQ(second.body, "GET /metrics?x=1");

  // A raw request whose declared body exceeds the limit gets 413, not a crash.
  {
    namespace asio = boost::asio;
    asio::io_context client;
    asio::ip::tcp::socket sock(client);
    sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    std::string req = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" +
                      std::string(5000, 'a');
    asio::write(sock, asio::buffer(req));
    std::string reply(256, '\0');
    boost::system::error_code ec;
    std::size_t n = sock.read_some(asio::buffer(reply), ec);
    reply.resize(n);
    EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  }
  // Garbage on the wire is dropped; the server keeps serving others.
  {
    namespace asio = boost::asio;
    asio::io_context client;
    asio::ip::tcp::socket sock(client);
    sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    asio::write(sock, asio::buffer(std::string("\x16\x03\x01 not http at all\r\n\r\n")));
  }
  EXPECT_EQ(testing::http_get("127.0.0.1", port, "/after").status, 200);

  server.stop();
  ioc.stop();
  io.join();
}

}  // namespace
}  // namespace gatehouse::controller
