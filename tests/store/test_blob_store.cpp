// store::BlobStore on its own (no deploys): what another user of the store
// (media assets) relies on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "events/hash_chain.hpp"
#include "store/blob_store.hpp"

namespace pw::store {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pw-blobs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto blobs = BlobStore::open(dir_ / "store");
    ASSERT_TRUE(blobs.ok()) << blobs.error().message;
    blobs_ = std::move(blobs).value();
  }
  void TearDown() override {
    blobs_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path path_of(const std::string& hash) const { return dir_ / "store" / "blobs" / hash.substr(0, 2) / hash; }
  void age(const fs::path& p, int seconds) {
    struct timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
  }
  static std::chrono::system_clock::time_point ago(int seconds) {
    return std::chrono::system_clock::now() - std::chrono::seconds(seconds);
  }

  fs::path dir_;
  std::unique_ptr<BlobStore> blobs_;
};

TEST_F(BlobStoreTest, PutReadOpenAndSync) {
  const std::string bytes(200000, 'p');
  auto h = blobs_->put(bytes);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(*h, sha256_hex(bytes));
  EXPECT_EQ(blobs_->put(bytes).value(), *h);
  EXPECT_TRUE(blobs_->has(*h));
  EXPECT_EQ(blobs_->read(*h).value(), bytes);
  auto file = blobs_->open_blob(*h);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->size(), bytes.size());
  EXPECT_EQ((*file)->read(bytes.size() - 3, 100).value(), "ppp");
  EXPECT_EQ((*file)->read(bytes.size(), 100).value(), "");
  EXPECT_EQ(blobs_->sync().value(), false);  // one blob: fsynced, not a syncfs
  struct stat st {};
  ASSERT_EQ(::stat(path_of(*h).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(blobs_->read("../../etc/passwd").error().code, Errc::validation_error);
  EXPECT_EQ(blobs_->open_blob(std::string(64, 'A')).error().code, Errc::validation_error);
  EXPECT_EQ(blobs_->read(sha256_hex("absent")).error().code, Errc::not_found);
  EXPECT_FALSE(blobs_->touch(sha256_hex("absent")));
  EXPECT_FALSE(fs::exists(dir_ / "store" / "deploys"));  // blobs only
}

TEST_F(BlobStoreTest, CollectKeepsReferencedLinkedAndYoungBlobs) {
  auto kept = blobs_->put("referenced").value();
  auto linked = blobs_->put("linked").value();
  auto young = blobs_->put("young").value();
  auto gone = blobs_->put("unreferenced").value();
  auto touched = blobs_->put("touched").value();
  for (const auto& h : {kept, linked, gone, touched}) age(path_of(h), 3600);
  ASSERT_TRUE(blobs_->touch(touched));
  fs::create_hard_link(path_of(linked), dir_ / "tree-link");  // as a deploy tree holds it
  const fs::path temp = path_of(kept).parent_path() / ".tmp.crashed";
  std::ofstream(temp) << "half";
  age(temp, 3600);

  auto removed = blobs_->collect(ago(60), {kept});
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(blobs_->has(gone));
  EXPECT_FALSE(fs::exists(temp));
  for (const auto& h : {kept, linked, young, touched}) EXPECT_TRUE(blobs_->has(h)) << h;
  // Another put of removed bytes brings them back.
  EXPECT_EQ(blobs_->put("unreferenced").value(), gone);
  EXPECT_EQ(blobs_->read(gone).value(), "unreferenced");
}

}  // namespace
}  // namespace pw::store
