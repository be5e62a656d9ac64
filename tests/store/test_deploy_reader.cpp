// store::DeployReader: everything the static host reads, on a store the
// shipper wrote; it never writes, creates or touches anything.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "events/hash_chain.hpp"
#include "store/deploy_reader.hpp"
#include "store/layout.hpp"
#include "workers/ship/shipper.hpp"

namespace pw::store {
namespace {

namespace fs = std::filesystem;

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "pw-store-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

// Everything about every entry below `root` that a write would change: any
// write, rename, chmod, touch or link moves a ctime (or adds or removes an
// entry). Running as root, permissions alone would not stop a write, so the
// proof that nothing was written is this, not the chmod.
using Snapshot = std::map<std::string, std::tuple<unsigned, int64_t, int64_t, int64_t, uint64_t>>;
Snapshot snapshot(const fs::path& root) {
  Snapshot s;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return;
    s[p.lexically_relative(root).string()] = {
        static_cast<unsigned>(st.st_mode), static_cast<int64_t>(st.st_size),
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
        static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec, static_cast<uint64_t>(st.st_nlink)};
  };
  add(root);
  for (const auto& e : fs::recursive_directory_iterator(root)) add(e.path());
  return s;
}

// Write permission off everything (search and read stay), and back on.
void make_read_only(const fs::path& root, bool read_only) {
  std::vector<fs::path> all{root};
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (!e.is_symlink()) all.push_back(e.path());
  for (const auto& p : all) {
    std::error_code ec;
    fs::permissions(p, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    read_only ? fs::perm_options::remove : fs::perm_options::add, ec);
  }
}

class DeployReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    root_ = dir_ / "sites";
    auto shipper = ship::Shipper::open(root_);
    ASSERT_TRUE(shipper.ok()) << shipper.error().message;
    shipper_ = std::move(shipper).value();
  }
  void TearDown() override {
    shipper_.reset();
    std::error_code ec;
    make_read_only(dir_, false);
    fs::remove_all(dir_, ec);
  }

  // Ships the files as deploy `id` of `site` and points `env` at it.
  void ship(const std::string& site, const std::string& id, const std::string& env,
            const std::map<std::string, std::string>& files) {
    Manifest m;
    for (const auto& [path, bytes] : files) {
      auto h = shipper_->blobs().put(bytes);
      ASSERT_TRUE(h.ok()) << h.error().message;
      m.entries.push_back({path, *h, bytes.size(), "k:" + path});
    }
    ASSERT_TRUE(shipper_->trees().write_deploy(site, id, std::move(m)).ok());
    if (!env.empty()) {
      ASSERT_TRUE(shipper_->pointers().switch_live(site, env, id).ok());
    }
    ASSERT_TRUE(shipper_->sync().ok());
  }

  std::unique_ptr<DeployReader> open_reader() {
    auto r = DeployReader::open(root_);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value() : nullptr;
  }

  fs::path dir_, root_;
  std::unique_ptr<ship::Shipper> shipper_;
};

TEST_F(DeployReaderTest, ReadsEverythingTheStaticHostNeedsFromAReadOnlyStore) {
  ship("acme", "p1", "production", {{"index.html", "home"}, {"about/index.html", "about"}});
  ship("acme", "s1", "staging", {{"index.html", "staging home"}});
  auto token = shipper_->previews().publish_preview("acme", "s1");
  ASSERT_TRUE(token.ok()) << token.error().message;
  const std::string draft = DeployReader::draft_preview_dir("d-1", 2000000000);
  ship("acme", draft, "", {{"index.html", "draft"}});
  auto draft_token = shipper_->previews().publish_draft_preview("acme", "pv-1", draft);
  ASSERT_TRUE(draft_token.ok()) << draft_token.error().message;
  ASSERT_TRUE(shipper_->sync().ok());

  make_read_only(root_, true);
  const Snapshot before = snapshot(root_);
  auto reader = open_reader();
  ASSERT_TRUE(reader);

  EXPECT_EQ(reader->live("acme", "production").value(), std::optional<std::string>("p1"));
  EXPECT_EQ(reader->live("acme", "staging").value(), std::optional<std::string>("s1"));
  EXPECT_EQ(reader->live("acme", "preview").value(), std::nullopt);
  EXPECT_EQ(reader->live("other", "production").value(), std::nullopt);
  EXPECT_EQ(reader->live_deploys("acme").value(), (std::set<std::string>{"p1", "s1"}));
  EXPECT_TRUE(reader->has_deploy("acme", "p1"));
  EXPECT_TRUE(reader->has_deploy("acme", draft));
  EXPECT_FALSE(reader->has_deploy("acme", "p9"));

  auto m = reader->read_manifest("acme", "p1");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->entries.size(), 2u);
  EXPECT_EQ(m->entries[0].path, "about/index.html");
  EXPECT_EQ(m->entries[1].hash, sha256_hex("home"));
  EXPECT_EQ(reader->read_manifest("acme", "p9").error().code, Errc::not_found);

  auto blob = reader->open_blob(sha256_hex("home"));
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  EXPECT_EQ((*blob)->size(), 4u);
  EXPECT_EQ((*blob)->read(1, 10).value(), "ome");
  EXPECT_EQ(reader->open_blob(sha256_hex("absent")).error().code, Errc::not_found);

  // The tokens the shipper published under, derived again from the key alone.
  EXPECT_EQ(reader->preview_token("acme", "s1").value(), *token);
  EXPECT_EQ(reader->draft_preview_token("pv-1").value(), *draft_token);
  auto staged = reader->resolve_preview(*token);
  ASSERT_TRUE(staged.ok() && staged->has_value());
  EXPECT_EQ((*staged)->site, "acme");
  EXPECT_EQ((*staged)->deploymentId, "s1");
  auto drafted = reader->resolve_preview(*draft_token);
  ASSERT_TRUE(drafted.ok() && drafted->has_value());
  EXPECT_EQ((*drafted)->deploymentId, draft);
  EXPECT_EQ(DeployReader::draft_preview_expiry((*drafted)->deploymentId), std::optional<int64_t>(2000000000));
  EXPECT_EQ(DeployReader::draft_preview_expiry("s1"), std::nullopt);
  EXPECT_EQ(reader->resolve_preview(std::string(32, '0')).value(), std::nullopt);

  EXPECT_EQ(snapshot(root_), before) << "the reader changed the store";
}

TEST_F(DeployReaderTest, HostileNamesAreRefusedAndReachNothing) {
  ship("acme", "p1", "production", {{"index.html", "home"}});
  const Snapshot before = snapshot(root_);
  auto reader = open_reader();
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->read_manifest("../acme", "p1").error().code, Errc::validation_error);
  EXPECT_EQ(reader->read_manifest("acme", "../p1").error().code, Errc::validation_error);
  EXPECT_EQ(reader->live("acme", "../../preview.key").error().code, Errc::validation_error);
  EXPECT_EQ(reader->live("ACME", "production").error().code, Errc::validation_error);
  EXPECT_EQ(reader->open_blob("../preview.key").error().code, Errc::validation_error);
  EXPECT_EQ(reader->preview_token("acme", "a/b").error().code, Errc::validation_error);
  EXPECT_EQ(reader->draft_preview_token("").error().code, Errc::validation_error);
  EXPECT_EQ(reader->draft_preview_token("a b").error().code, Errc::validation_error);
  EXPECT_EQ(reader->draft_preview_token(std::string(201, 'x')).error().code, Errc::validation_error);
  for (const std::string& t : std::vector<std::string>{"..", "../live/acme/production", std::string(32, 'A'), std::string(31, 'a')})
    EXPECT_EQ(reader->resolve_preview(t).value(), std::nullopt) << t;
  EXPECT_FALSE(reader->has_deploy("acme", "p1/../p1"));
  EXPECT_EQ(snapshot(root_), before);
  // Still serving what it should.
  EXPECT_EQ(reader->live("acme", "production").value(), std::optional<std::string>("p1"));
}

// The gateway needs a draft preview's token before the build: the reader
// reads preview.key but never makes it; ops/ (create_layout) or the shipper
// does, at start.
TEST_F(DeployReaderTest, NeverCreatesThePreviewKey) {
  const fs::path bare = dir_ / "bare";
  for (const char* d : {"blobs", "deploys", "live", "previews"}) fs::create_directories(bare / d);
  auto opened = DeployReader::open(bare);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& reader = **opened;
  EXPECT_EQ(reader.draft_preview_token("pv-1").error().code, Errc::unavailable);
  EXPECT_EQ(reader.preview_token("acme", "s1").error().code, Errc::unavailable);
  EXPECT_FALSE(fs::exists(bare / "preview.key"));
  EXPECT_EQ(std::distance(fs::directory_iterator(bare), fs::directory_iterator{}), 4);

  // Made by the writing side later: the same reader picks it up, and agrees
  // with the writer.
  ASSERT_TRUE(create_layout(bare).ok());
  auto writer = ship::Shipper::open(bare);
  ASSERT_TRUE(writer.ok());
  auto token = reader.draft_preview_token("pv-1");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_TRUE(is_valid_preview_token(*token));
  EXPECT_EQ(*token, (*writer)->reader().draft_preview_token("pv-1").value());
}

TEST_F(DeployReaderTest, AMissingStoreIsAnErrorAndIsNotCreated) {
  auto opened = DeployReader::open(dir_ / "absent");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::internal);
  EXPECT_FALSE(fs::exists(dir_ / "absent"));
  fs::create_directories(dir_ / "half" / "blobs");
  EXPECT_FALSE(DeployReader::open(dir_ / "half").ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "half"), fs::directory_iterator{}), 1);
}

TEST_F(DeployReaderTest, ALiveSwitchShowsOnTheNextRead) {
  ship("acme", "p1", "production", {{"index.html", "one"}});
  auto reader = open_reader();
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->live("acme", "production").value(), std::optional<std::string>("p1"));
  ship("acme", "p2", "production", {{"index.html", "two"}});
  EXPECT_EQ(reader->live("acme", "production").value(), std::optional<std::string>("p2"));
  ASSERT_TRUE(shipper_->pointers().switch_live("acme", "production", "p1").ok());  // a rollback
  EXPECT_EQ(reader->live("acme", "production").value(), std::optional<std::string>("p1"));
}

TEST_F(DeployReaderTest, CreateLayoutWritesNothingWhereTheStoreExists) {
  ship("acme", "p1", "production", {{"index.html", "home"}});
  const std::string key = [&] {
    std::ifstream in(root_ / "preview.key", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  ASSERT_EQ(key.size(), 32u);
  const Snapshot before = snapshot(root_);
  ASSERT_TRUE(create_layout(root_).ok());
  EXPECT_EQ(snapshot(root_), before);
  EXPECT_EQ(fs::status(root_ / "preview.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(root_ / "previews").permissions() & (fs::perms::group_read | fs::perms::others_read),
            fs::perms::none);
}

}  // namespace
}  // namespace pw::store
