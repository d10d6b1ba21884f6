// The libpq wrapper against a real server: parameters, error kinds, arrays,
// transactions.
#include "db/pg.h"

#include <gtest/gtest.h>

#include "tests/support/pg_test_cluster.h"

namespace gatehouse::db {
namespace {

using test_support::fresh_database;

Connection connect() {
  Result<Connection> c = Connection::open(fresh_database());
  if (!c.ok()) ADD_FAILURE() << c.error().to_string();
  return std::move(c).value();
}

TEST(Pg, ParametersTravelAsValuesIncludingNullQuotesAndUnicode) {
  Connection c = connect();
  const std::string tricky = "O'Brien \"the door\"; DROP TABLE x; -- Ünïcødé 🚪 \\ $1";
  Result<Rows> r = c.exec("SELECT $1::text, $2::text IS NULL, $3::integer + 1, $2::text, $4::boolean",
                          {tricky, std::nullopt, "41", "true"});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1);
  EXPECT_EQ(r->columns(), 5);
  EXPECT_EQ(r->text(0, 0), tricky);
  EXPECT_TRUE(r->boolean(0, 1));
  EXPECT_EQ(r->int64(0, 2), 42);
  EXPECT_TRUE(r->is_null(0, 3));
  EXPECT_EQ(r->opt_text(0, 3), std::nullopt);
  EXPECT_EQ(r->text(0, 3), "");
  EXPECT_TRUE(r->boolean(0, 4));
  EXPECT_EQ(r->opt_text(0, 0), tricky);
}

TEST(Pg, AffectedRowsAndCommandTag) {
  Connection c = connect();
  ASSERT_TRUE(c.exec("CREATE TABLE t (id integer PRIMARY KEY, v text)").ok());
  Result<Rows> ins = c.exec("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 5) g");
  ASSERT_TRUE(ins.ok());
  EXPECT_EQ(ins->affected(), 5);
  EXPECT_EQ(ins->command(), "INSERT");
  Result<Rows> upd = c.exec("UPDATE t SET v = $1 WHERE id > $2::integer", {"y", "3"});
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(upd->affected(), 2);
  Result<Rows> sel = c.exec("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->size(), 5);
  EXPECT_EQ(sel->affected(), 5);  // PQcmdTuples reports SELECT's row count too
}

TEST(Pg, UniqueViolationIsConflictWithServerMessage) {
  Connection c = connect();
  ASSERT_TRUE(c.exec("CREATE TABLE t (id text PRIMARY KEY)").ok());
  ASSERT_TRUE(c.exec("INSERT INTO t VALUES ($1)", {"door-1"}).ok());
  Result<Rows> again = c.exec("INSERT INTO t VALUES ($1)", {"door-1"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_NE(again.error().message.find("duplicate key value violates unique constraint"),
            std::string::npos)
      << again.error().message;
  EXPECT_NE(again.error().message.find("Key (id)=(door-1) already exists"), std::string::npos)
      << "detail kept: " << again.error().message;
  EXPECT_NE(again.error().message.find("[SQLSTATE 23505]"), std::string::npos);
}

TEST(Pg, BadCastIsInvalidInput) {
  Connection c = connect();
  Result<Rows> r = c.exec("SELECT $1::integer", {"twelve"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r.error().message.find("invalid input syntax for type integer"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(c.healthy()) << "a statement error leaves the connection usable";
  EXPECT_TRUE(c.exec("SELECT 1").ok());
}

TEST(Pg, SyntaxErrorIsInternal) {
  Connection c = connect();
  Result<Rows> r = c.exec("SELEC 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
  EXPECT_NE(r.error().message.find("syntax error"), std::string::npos);
}

TEST(Pg, UnreachableServerIsUnavailable) {
  Result<Connection> c = Connection::open("host=/nonexistent/gatehouse-socket-dir dbname=x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
  EXPECT_FALSE(c.error().message.empty());
}

TEST(Pg, MalformedConnectionStringIsInvalidInput) {
  Result<Connection> c = Connection::open("host=/tmp dbname");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidInput);
}

TEST(Pg, LostConnectionIsUnavailable) {
  const std::string conninfo = fresh_database();
  Result<Connection> victim = Connection::open(conninfo);
  Result<Connection> killer = Connection::open(conninfo);
  ASSERT_TRUE(victim.ok() && killer.ok());
  Result<Rows> pid = victim->exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(killer->exec("SELECT pg_terminate_backend($1::integer, 5000)",
                           {std::string(pid->text(0, 0))})
                  .ok());
  Result<Rows> r = victim->exec("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable) << r.error().to_string();
  EXPECT_FALSE(victim->healthy());
}

TEST(Pg, SessionTimeZoneIsUtc) {
  Connection c = connect();
  Result<Rows> r = c.exec("SELECT current_setting('TimeZone'), '2026-03-03 09:15:02.5+01'::timestamptz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text(0, 0), "UTC");
  EXPECT_EQ(r->text(0, 1), "2026-03-03 08:15:02.5+00");
}

TEST(Pg, TextArrayRoundTripsTrickyStrings) {
  Connection c = connect();
  const std::vector<std::optional<std::string>> values = {
      "", "NULL", "null", "a,b", "{braces}", "\"quoted\"", "back\\slash", "  lead and trail  ",
      "new\nline\ttab", "Ünïcødé 🚪", std::nullopt, "'single'", "}{\\\"", "x"};
  Result<Rows> r = c.exec(
      "SELECT v, v IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
      {text_array(values)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), static_cast<int>(values.size()));
  for (int i = 0; i < r->size(); ++i) {
    EXPECT_EQ(r->opt_text(i, 0), values[static_cast<std::size_t>(i)]) << "element " << i;
  }

  const std::vector<std::string> plain = {"NULL", "", "a b"};
  Result<Rows> p = c.exec(
      "SELECT array_length($1::text[], 1), ($1::text[])[1] IS NULL, ($1::text[])[2], ($1::text[])[3]",
      {text_array(plain)});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->int64(0, 0), 3);
  EXPECT_FALSE(p->boolean(0, 1)) << "the string NULL is not SQL NULL";
  EXPECT_EQ(p->text(0, 2), "");
  EXPECT_EQ(p->text(0, 3), "a b");

  Result<Rows> empty = c.exec("SELECT cardinality($1::text[])", {text_array(std::vector<std::string>{})});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->int64(0, 0), 0);
}

TEST(Pg, QuoteIdentifierSurvivesQuotes) {
  Connection c = connect();
  const std::string name = "we\"ird Näme";
  ASSERT_TRUE(c.exec("CREATE TABLE " + quote_identifier(name) + " (x integer)").ok());
  Result<Rows> r = c.exec("SELECT to_regclass($1) IS NOT NULL", {quote_identifier(name)});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->boolean(0, 0));
}

TEST(Pg, TransactionRollsBackUnlessCommitted) {
  Connection c = connect();
  ASSERT_TRUE(c.exec("CREATE TABLE t (id integer PRIMARY KEY)").ok());
  {
    Result<Transaction> tx = Transaction::begin(c);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(c.exec("INSERT INTO t VALUES (1)").ok());
  }  // destroyed without commit
  {
    Result<Transaction> tx = Transaction::begin(c);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(c.exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  Result<Rows> r = c.exec("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1);
  EXPECT_EQ(r->int64(0, 0), 2);
}

TEST(Pg, CommitAfterAFailedStatementIsAnErrorNotASilentRollback) {
  Connection c = connect();
  ASSERT_TRUE(c.exec("CREATE TABLE t (id integer PRIMARY KEY)").ok());
  Result<Transaction> tx = Transaction::begin(c);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(c.exec("INSERT INTO t VALUES (1)").ok());
  ASSERT_FALSE(c.exec("INSERT INTO t VALUES (1)").ok());
  Status s = tx->commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  Result<Rows> r = c.exec("SELECT count(*) FROM t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->int64(0, 0), 0);
}

TEST(Pg, ScriptRunsSeveralStatementsAndReportsTheFailingOne) {
  Connection c = connect();
  ASSERT_TRUE(c.exec_script("CREATE TABLE a (x integer); CREATE TABLE b (y integer CHECK (y > 0));").ok());
  Status s = c.exec_script("INSERT INTO a VALUES (1); INSERT INTO b VALUES (0);");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  EXPECT_NE(s.error().message.find("b_y_check"), std::string::npos) << s.error().message;
  // One simple-protocol script is one implicit transaction: the first insert went too.
  Result<Rows> r = c.exec("SELECT count(*) FROM a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->int64(0, 0), 0);
}

}  // namespace
}  // namespace gatehouse::db
