// The event journal: what was appended survives a reopen until committed, a
// torn tail is dropped, and sequence numbers never repeat.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controller/event_journal.h"
#include "tests/support/pg_test_cluster.h"

namespace gatehouse::controller {
namespace {

class EventJournalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test_support::make_temp_dir("gh-journal"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(EventJournalTest, PendingSurvivesReopenUntilCommitted) {
  std::string id;
  {
    auto j = EventJournal::open(dir_);
    ASSERT_TRUE(j.ok()) << j.error().message;
    id = j->id();
    EXPECT_EQ(id.size(), 16u);
    auto recs = j->append({"{\"a\":1}", "{\"a\":2}", "{\"a\":3}"});
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 3u);
    EXPECT_EQ((*recs)[0].seq, 1u);
    EXPECT_EQ((*recs)[2].seq, 3u);
    ASSERT_TRUE(j->commit(2).ok());
    EXPECT_EQ(j->pending().size(), 1u);
  }
  // As after a crash: the uncommitted record comes back, with the same journal id.
  auto j = EventJournal::open(dir_);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->id(), id);
  EXPECT_EQ(j->committed(), 2u);
  ASSERT_EQ(j->pending().size(), 1u);
  EXPECT_EQ(j->pending()[0].seq, 3u);
  EXPECT_EQ(j->pending()[0].text, "{\"a\":3}");
  auto more = j->append({"x"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)[0].seq, 4u);  // never reuses a number
  ASSERT_TRUE(j->commit(4).ok());
  EXPECT_TRUE(j->pending().empty());
  auto again = EventJournal::open(dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->pending().empty());
}

TEST_F(EventJournalTest, TornTailIsDroppedAndCutNotMisread) {
  {
    auto j = EventJournal::open(dir_);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE(j->append({"one", "two"}).ok());
  }
  {
    std::ofstream f(dir_ / "events.journal", std::ios::app);
    f << "3 thr";  // a write cut short by power loss
  }
  auto j = EventJournal::open(dir_);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->torn_records_dropped(), 1);
  ASSERT_EQ(j->pending().size(), 2u);
  auto next = j->append({"three"});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0].seq, 3u);
  auto reopened = EventJournal::open(dir_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->torn_records_dropped(), 0);
  ASSERT_EQ(reopened->pending().size(), 3u);
  EXPECT_EQ(reopened->pending()[2].text, "three");
}

TEST_F(EventJournalTest, MultiLineRecordRefusedAndNothingWritten) {
  auto j = EventJournal::open(dir_);
  ASSERT_TRUE(j.ok());
  auto bad = j->append({"ok", "two\nlines"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
  EXPECT_TRUE(j->pending().empty());
  EXPECT_EQ(std::filesystem::file_size(dir_ / "events.journal"), 0u);
}

TEST_F(EventJournalTest, UnwritableDirectoryIsAnIoError) {
  std::filesystem::path file = dir_ / "plain-file";
  std::ofstream(file) << "x";
  auto j = EventJournal::open(file / "journal");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().kind, ErrorKind::kIo);
}

}  // namespace
}  // namespace gatehouse::controller
