// Reading HR exports: columns by header in any order, quoted fields, and every
// bad row reported with its line while the good rows come through.
#include <gtest/gtest.h>

#include "controller/people_csv.h"

namespace gatehouse::controller {
namespace {

TEST(PeopleCsv, ReadsColumnsByHeaderWithAliasesAndQuotes) {
  auto r = parse_people_csv(
      "Employee_Number,Full_Name,Department,Groups,Status\n"
      "E100,\"Smith, Jane\",Finance,staff,active\n"
      "E101,Raj Patel,IT,\"it; staff\",\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].external_id, "E100");
  EXPECT_EQ(r->rows[0].name, "Smith, Jane");
  EXPECT_EQ(r->rows[0].line, 2);
  EXPECT_EQ(r->rows[0].kind, "employee");
  EXPECT_EQ(r->rows[1].groups, (std::vector<std::string>{"it", "staff"}));
  EXPECT_EQ(r->rows[1].status, "active");
  EXPECT_EQ(r->ignored_columns, std::vector<std::string>{"department"});
  EXPECT_TRUE(r->rejected.empty());
}

TEST(PeopleCsv, BadRowsAreReportedWithLineAndReasonGoodRowsKept) {
  auto r = parse_people_csv(
      "external_id,name,kind,status\n"
      "E1,Ann,employee,active\n"
      ",No Id,employee,active\n"
      "E2,,employee,active\n"
      "E3,Visitor Vic,visitor,active\n"
      "E4,Old Timer,employee,retired\n"
      "E5,Too,many,fields,here\n"
      "\n"
      "E1,Ann Again,employee,active\n"
      "E6,\"Multi\nLine\",contractor,terminated\n"
      "E7,Last,contractor,active\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0].external_id, "E1");
  EXPECT_EQ(r->rows[1].external_id, "E6");
  EXPECT_EQ(r->rows[1].status, "terminated");
  EXPECT_EQ(r->rows[1].line, 10);
  EXPECT_EQ(r->rows[2].line, 12);
  ASSERT_EQ(r->rejected.size(), 6u);
  EXPECT_EQ(r->rejected[0].line, 3);
  EXPECT_EQ(r->rejected[0].reason, "empty external_id");
  EXPECT_EQ(r->rejected[1].line, 4);
  EXPECT_NE(r->rejected[1].reason.find("empty name"), std::string::npos);
  EXPECT_EQ(r->rejected[2].line, 5);
  EXPECT_NE(r->rejected[2].reason.find("visitors are registered at reception"), std::string::npos);
  EXPECT_EQ(r->rejected[3].line, 6);
  EXPECT_NE(r->rejected[3].reason.find("'retired'"), std::string::npos);
  EXPECT_EQ(r->rejected[4].line, 7);
  EXPECT_NE(r->rejected[4].reason.find("has 5 fields; the header has 4"), std::string::npos);
  EXPECT_EQ(r->rejected[5].line, 9);
  EXPECT_NE(r->rejected[5].reason.find("already appears on line 2"), std::string::npos);
}

TEST(PeopleCsv, WholeFileRefusals) {
  auto no_name = parse_people_csv("external_id,email\nE1,a@b\n");
  ASSERT_FALSE(no_name.ok());
  EXPECT_NE(no_name.error().message.find("no 'name' column"), std::string::npos);

  auto broken = parse_people_csv("external_id,name\nE1,\"unterminated\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("not valid CSV"), std::string::npos);
  EXPECT_NE(broken.error().message.find("nothing imported"), std::string::npos);

  auto twice = parse_people_csv("employee_id,external_id,name\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("two columns mean 'external_id'"), std::string::npos);

  EXPECT_FALSE(parse_people_csv("").ok());
}

TEST(PeopleCsv, ByteOrderMarkAndCrLfAreAccepted) {
  auto r = parse_people_csv("\xef\xbb\xbfid,name\r\nE1,Ann\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].name, "Ann");
}

}  // namespace
}  // namespace gatehouse::controller
