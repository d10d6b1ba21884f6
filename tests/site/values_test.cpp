// The scalar rules of the site file, one at a time (site/values.h).
#include <gtest/gtest.h>

#include "site/values.h"

namespace gatehouse::site::detail {
namespace {

TEST(CheckId, AllowsTheDocumentedAlphabetOnly) {
  const std::string longest(kMaxIdLength, 'x');
  for (std::string id : {std::string("a"), std::string("0"), std::string("main-entrance"),
                         std::string("r.main_in-2"), longest}) {
    EXPECT_TRUE(check_id(id).ok()) << id;
  }
  for (std::string id : {std::string(), std::string("-a"), std::string(".a"), std::string("Main"),
                         std::string("a b"), std::string("a/b"), std::string("caf\xc3\xa9"),
                         longest + "x"}) {
    EXPECT_FALSE(check_id(id).ok()) << id;
  }
}

TEST(DaySpec, NamesRangesAllAndHolidays) {
  EXPECT_EQ(*parse_day_spec("mon"), (std::vector<int>{0}));
  EXPECT_EQ(*parse_day_spec("sun"), (std::vector<int>{6}));
  EXPECT_EQ(*parse_day_spec("mon-fri"), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(*parse_day_spec("sat-sun"), (std::vector<int>{5, 6}));
  EXPECT_EQ(*parse_day_spec("all"), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(*parse_day_spec("holidays"), (std::vector<int>{kHolidayDay}));
  for (const char* bad : {"", "Mon", "monday", "fri-mon", "mon-mon", "mon-", "-fri", "weekend"}) {
    EXPECT_FALSE(parse_day_spec(bad).ok()) << bad;
  }
}

TEST(Interval, ParsesMinutesFromMidnight) {
  EXPECT_EQ(*parse_interval("07:00-19:30"), (Interval{420, 1170}));
  EXPECT_EQ(*parse_interval("00:00-24:00"), (Interval{0, 1440}));
  EXPECT_EQ(*parse_interval("23:59-24:00"), (Interval{1439, 1440}));
  EXPECT_EQ(format_interval(Interval{420, 1170}), "07:00-19:30");
  EXPECT_EQ(format_interval(Interval{0, 1440}), "00:00-24:00");
}

TEST(Interval, RejectsWhatIsNotAnIntervalOfOneDay) {
  for (const char* bad : {"7:00-19:30", "07:00 - 19:30", "07:00-25:00", "24:00-24:00",
                          "24:01-24:00", "07:60-08:00", "08:00-08:00", "19:30-07:00",
                          "07:00-19:3x", "+7:00-19:30", "", "07:00"}) {
    EXPECT_FALSE(parse_interval(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_interval("08:00-25:00").error().message,
            "interval '08:00-25:00': '25:00' is not a time of day; allowed 00:00 to 24:00");
}

TEST(Date, AcceptsRealCalendarDatesOnly) {
  for (const char* ok : {"2026-12-25", "2028-02-29", "2000-02-29", "2026-01-31"}) {
    EXPECT_TRUE(check_date(ok).ok()) << ok;
  }
  for (const char* bad : {"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                          "2026-12-00", "2026/12/25", "26-12-25", "2026-12-25T00:00", "0000-01-01"}) {
    EXPECT_FALSE(check_date(bad).ok()) << bad;
  }
}

TEST(ModbusEndpoint, TcpAndRtu) {
  auto tcp = parse_modbus_endpoint("tcp://IO-1.example:1502");
  ASSERT_TRUE(tcp.ok()) << tcp.error().message;
  EXPECT_FALSE(tcp->serial);
  EXPECT_EQ(tcp->identity(), "tcp://io-1.example:1502");

  auto v6 = parse_modbus_endpoint("tcp://[::1]:502");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->identity(), "tcp://[::1]:502");

  auto rtu = parse_modbus_endpoint("rtu:///dev/ttyS0?stop=1&baud=19200&parity=E&data=8");
  ASSERT_TRUE(rtu.ok()) << rtu.error().message;
  EXPECT_TRUE(rtu->serial);
  EXPECT_EQ(rtu->identity(), "/dev/ttyS0");
  EXPECT_EQ(rtu->settings(), "baud=19200&data=8&parity=E&stop=1");

  for (const char* bad :
       {"tcp://host", "tcp://:502", "tcp://host:0", "tcp://host:65536", "tcp://host:50x",
        "tcp://ho st:502", "udp://host:502", "rtu://dev/ttyS0?baud=9600&parity=N&data=8&stop=1",
        "rtu:///dev/ttyS0?baud=4800&parity=N&data=8&stop=1",
        "rtu:///dev/ttyS0?baud=9600&parity=X&data=8&stop=1",
        "rtu:///dev/ttyS0?baud=9600&parity=N&data=8", "rtu:///dev/ttyS0?baud=9600&baud=9600",
        "rtu:///dev/ttyS0?baud=9600&parity=N&data=8&stop=1&flow=none", "rtu:///dev/ttyS0"}) {
    EXPECT_FALSE(parse_modbus_endpoint(bad).ok()) << bad;
  }
}

TEST(OsdpEndpoint, TcpAndSerial) {
  auto serial = parse_osdp_endpoint("serial:///dev/ttyUSB0?baud=115200");
  ASSERT_TRUE(serial.ok()) << serial.error().message;
  EXPECT_EQ(serial->identity(), "/dev/ttyUSB0");
  EXPECT_TRUE(parse_osdp_endpoint("tcp://127.0.0.1:4001").ok());
  for (const char* bad : {"serial:///dev/ttyUSB0", "serial:///dev/ttyUSB0?baud=4800",
                          "serial:///dev/ttyUSB0?baud=9600&parity=N",
                          "rtu:///dev/ttyUSB0?baud=9600", "tcp://127.0.0.1"}) {
    EXPECT_FALSE(parse_osdp_endpoint(bad).ok()) << bad;
  }
}

TEST(Timezone, NeedsACompiledZoneFile) {
  for (const char* ok : {"Europe/London", "UTC", "America/Argentina/Buenos_Aires"}) {
    EXPECT_TRUE(check_timezone(ok).ok()) << ok;
  }
  for (const char* bad : {"", "Europe", "Europe/Newcastle", "../zoneinfo/UTC", "/UTC",
                          "zone.tab", "europe/london", "Europe/London "}) {
    EXPECT_FALSE(check_timezone(bad).ok()) << bad;
  }
  // A NUL would end the path early and pass "Europe/London" to the file system.
  EXPECT_FALSE(check_timezone(std::string_view("Europe/London\0x", 15)).ok());
}

}  // namespace
}  // namespace gatehouse::site::detail
