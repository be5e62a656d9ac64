// Live pointers: atomic switches, live(), rollback.
#include <atomic>

#include "tests/ship/ship_fixture.hpp"

namespace pw::ship::testing {
namespace {

namespace fs = std::filesystem;

TEST_F(StoreTest, SwitchLiveAndLive) {
  EXPECT_FALSE(store_->pointers().live("site", "production")->has_value());
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", publish({{"index.html", "one"}})).ok());
  auto missing = store_->pointers().switch_live("site", "production", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(store_->pointers().switch_live("site", "prod", "d1").error().code, Errc::validation_error);
  EXPECT_EQ(store_->pointers().switch_live("Site", "production", "d1").error().code, Errc::validation_error);
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  ASSERT_TRUE(store_->sync().ok());
  EXPECT_EQ(store_->pointers().live("site", "production")->value_or(""), "d1");
  EXPECT_FALSE(store_->pointers().live("site", "staging")->has_value());
  EXPECT_EQ(store_->pointers().live_path("site", "production"), store_->root() / "live/site/production");
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "index.html"), "one");
  EXPECT_EQ(fs::read_symlink(store_->pointers().live_path("site", "production")), "../../deploys/site/d1");
  // Only the pointer itself is left in live/<site>: no temporary names.
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(store_->root() / "live/site")) ++n;
  EXPECT_EQ(n, 1u);
}

TEST_F(StoreTest, SwitchIsAtomicForReaders) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "blue", publish({{"index.html", "BLUE"}})).ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "green", publish({{"index.html", "GREEN"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "blue").ok());
  const fs::path page = store_->pointers().live_path("site", "production") / "index.html";
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, failures{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::ifstream in(page, std::ios::binary);
      std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.is_open() || (s != "BLUE" && s != "GREEN")) failures.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  while (reads.load() == 0) std::this_thread::yield();
  for (int i = 0; i < 200; ++i) {
    auto r = store_->pointers().switch_live("site", "production", i % 2 == 0 ? "green" : "blue");
    EXPECT_TRUE(r.ok());
  }
  // Keep the reader going until it has overlapped a good number of reads.
  while (reads.load() < 200) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(store_->pointers().live("site", "production")->value_or(""), "blue");
}

TEST_F(StoreTest, RollbackWritesNoBlobs) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "v1", publish({{"index.html", "v1"}, {"a/index.html", "a"}})).ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "v2", publish({{"index.html", "v2"}, {"a/index.html", "a"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "v2").ok());
  size_t blobs_before = 0;
  for (const auto& e : fs::recursive_directory_iterator(store_->root() / "blobs")) blobs_before += e.is_regular_file();
  auto blobs_mtime = fs::last_write_time(store_->root() / "blobs" / sha256_hex("v1").substr(0, 2));
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "v1").ok());
  size_t blobs_after = 0;
  for (const auto& e : fs::recursive_directory_iterator(store_->root() / "blobs")) blobs_after += e.is_regular_file();
  EXPECT_EQ(blobs_before, blobs_after);
  EXPECT_EQ(blobs_mtime, fs::last_write_time(store_->root() / "blobs" / sha256_hex("v1").substr(0, 2)));
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "index.html"), "v1");
  EXPECT_EQ(store_->pointers().live("site", "production")->value_or(""), "v1");
}

TEST_F(StoreTest, EnvironmentsAreIndependent) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "a", publish({{"index.html", "A"}})).ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "b", publish({{"index.html", "B"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "a").ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "preview", "b").ok());
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "index.html"), "A");
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "preview") / "index.html"), "B");
}

}  // namespace
}  // namespace pw::ship::testing
