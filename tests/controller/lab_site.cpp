#include "lab_site.h"

#include "db/pg.h"

namespace gatehouse::testing {

std::int64_t query_count(const std::string& conninfo, const std::string& sql) {
  auto conn = db::Connection::open(conninfo);
  if (!conn.ok()) return -1;
  auto r = conn->exec(sql);
  return r.ok() && r->size() == 1 ? r->int64(0, 0) : -1;
}

std::string lab_site_toml(const LabSite& lab) {
  std::string t = R"([site]
name = "Lab"
timezone = "Europe/London"

[[schedule]]
id = "always"
weekly = { all = ["00:00-24:00"] }

[[area]]
id = "outside"

[[area]]
id = "lab"

[[group]]
id = "staff"

[[access_level]]
id = "staff-lab"
groups = ["staff"]
doors = ["lab-door"]
schedule = "always"

[[io_module]]
id = "io-lab"
modbus = ")";
  t += lab.modbus_url;
  t += "\"\n";
  t += lab.module_timing;
  t += "\n[[reader]]\nid = \"r-lab\"\nosdp = \"";
  t += lab.reader_url;
  t += "\"\naddress = 1\nsecure_channel = ";
  t += lab.secure ? "true" : "false";
  t += "\nkeypad = ";
  t += lab.card_and_pin ? "true" : "false";
  t += R"(

[[door]]
id = "lab-door"
from = "outside"
to = "lab"
reader = "r-lab"
mode = ")";
  t += lab.card_and_pin ? "card-and-pin" : "card";
  t += R"("
lock = { io = "io-lab", coil = 0, fail = "secure" }
contact = { io = "io-lab", input = 0, normally = "closed" }
)";
  if (lab.exit_button) t += "exit_button = { io = \"io-lab\", input = 1 }\n";
  t += lab.door_timing;
  return t;
}

}  // namespace gatehouse::testing
