// Recycled deploy trees: a new deploy patches a free tree, and whatever the
// path a tree took, it holds exactly its manifest.
#include <fcntl.h>
#include <sys/stat.h>

#include <random>
#include <set>

#include "tests/ship/ship_fixture.hpp"

namespace pw::ship::testing {
namespace {

namespace fs = std::filesystem;

// Every file of the tree with its inode, and every directory.
struct TreeContents {
  std::map<std::string, ino_t> files;
  std::set<std::string> dirs;
};

TreeContents read_tree(const fs::path& root) {
  TreeContents t;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = fs::relative(it->path(), root).string();
    if (it->is_directory()) {
      t.dirs.insert(rel);
    } else {
      struct stat st {};
      EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
      t.files[rel] = st.st_ino;
    }
  }
  return t;
}

class TreesTest : public StoreTest {
 protected:
  ino_t blob_ino(const std::string& hash) const {
    struct stat st {};
    EXPECT_EQ(::stat((store_->root() / "blobs" / hash.substr(0, 2) / hash).c_str(), &st), 0);
    return st.st_ino;
  }

  // The deploy's tree holds the manifest's blobs at its paths and nothing
  // else: no stray file, no empty directory.
  void expect_tree_is(const std::string& id, const Manifest& m) {
    ASSERT_TRUE(store_->trees().has_tree("site", id)) << id;
    TreeContents t = read_tree(deploy_dir("site", id));
    std::map<std::string, ino_t> want;
    std::set<std::string> want_dirs;
    for (const auto& e : m.entries) {
      want[e.path] = blob_ino(e.hash);
      for (size_t s = e.path.find('/'); s != std::string::npos; s = e.path.find('/', s + 1))
        want_dirs.insert(e.path.substr(0, s));
    }
    EXPECT_EQ(t.files, want) << id;
    EXPECT_EQ(t.dirs, want_dirs) << id;
  }

  size_t trees_on_disk() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(store_->root() / "deploys/site"))
      if (e.is_directory()) ++n;
    return n;
  }
};

TEST_F(TreesTest, EveryPatchedTreeHoldsExactlyItsManifest) {
  // Paths that turn from files into directories and back, nested and shared
  // directories, and files that come and go.
  const std::vector<std::string> universe = {
      "index.html", "a", "a/index.html", "a/b/index.html", "a/b/c/index.html", "b/index.html",
      "b", "c/d/e.html", "c/index.html", "sitemap.xml", "assets/x.css", "assets/y.css", "d-e/index.html"};
  std::mt19937 rng(20261202);
  for (int round = 0; round < 60; ++round) {
    std::map<std::string, std::string> files;
    for (const auto& p : universe) {
      if (rng() % 2 == 0) continue;
      // No path below a file ("a" and "a/index.html" cannot both be in a deploy).
      bool clash = false;
      for (const auto& [q, _] : files) {
        if (p.rfind(q + "/", 0) == 0 || q.rfind(p + "/", 0) == 0) clash = true;
      }
      if (!clash) files[p] = p + " v" + std::to_string(rng() % 3);
    }
    if (files.empty()) files["index.html"] = "only";
    const std::string id = "d" + std::to_string(round);
    Manifest m = publish(files);
    ASSERT_TRUE(store_->trees().write_deploy("site", id, m).ok()) << id;
    expect_tree_is(id, m);
    ASSERT_TRUE(store_->pointers().switch_live("site", round % 3 == 0 ? "staging" : "production", id).ok());
    ASSERT_TRUE(store_->trees().keep_spare_tree("site").ok());
  }
  // Two live pointers and at most a spare and a previous deploy's tree: the
  // trees were recycled, not piled up.
  EXPECT_LE(trees_on_disk(), 4u);
}

TEST_F(TreesTest, RepublishPatchesTheSpareInsteadOfRebuilding) {
  std::map<std::string, std::string> files{{"index.html", "home"}, {"sitemap.xml", "<urlset/>"}};
  for (int i = 0; i < 50; ++i) files["p" + std::to_string(i) + "/index.html"] = "page " + std::to_string(i);
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", publish(files)).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  auto kept = store_->trees().keep_spare_tree("site");
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_TRUE(*kept);
  EXPECT_FALSE(*store_->trees().keep_spare_tree("site"));  // one spare is enough
  EXPECT_EQ(trees_on_disk(), 2u);

  fs::path spare;
  for (const auto& e : fs::directory_iterator(store_->root() / "deploys/site"))
    if (e.is_directory() && e.path().filename().string().rfind(".spare.", 0) == 0) spare = e.path();
  ASSERT_FALSE(spare.empty());
  struct stat before {};
  ASSERT_EQ(::stat((spare / "p7").c_str(), &before), 0);

  files["p3/index.html"] = "page 3, edited";
  files.erase("p9/index.html");
  files["new/index.html"] = "a new page";
  Manifest m2 = publish(files);
  ASSERT_TRUE(store_->trees().write_deploy("site", "d2", m2).ok());
  expect_tree_is("d2", m2);
  // The spare became d2: an untouched page's directory is the very same one.
  struct stat after {};
  ASSERT_EQ(::stat((deploy_dir("site", "d2") / "p7").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_FALSE(fs::exists(spare));
  EXPECT_FALSE(fs::exists(spare.string() + ".manifest.json"));
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "p3/index.html"), "page 3");  // d1 untouched

  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d2").ok());
  EXPECT_FALSE(*store_->trees().keep_spare_tree("site"));  // d1 is free now
  Manifest m3 = publish({{"index.html", "home 3"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d3", m3).ok());
  expect_tree_is("d3", m3);
  EXPECT_FALSE(store_->trees().has_tree("site", "d1"));  // d1's tree became d3's
  EXPECT_TRUE(store_->reader().has_deploy("site", "d1"));
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "p3/index.html"), "page 3, edited");
}

TEST_F(TreesTest, RollbackLaysARecycledDeployDownAgain) {
  Manifest m1 = publish({{"index.html", "one"}, {"x/index.html", "x1"}});
  Manifest m2 = publish({{"index.html", "two"}});
  Manifest m3 = publish({{"index.html", "three"}, {"y/z/index.html", "z3"}});
  for (auto [id, m] : {std::pair{"d1", &m1}, {"d2", &m2}, {"d3", &m3}}) {
    ASSERT_TRUE(store_->trees().write_deploy("site", id, *m).ok());
    ASSERT_TRUE(store_->pointers().switch_live("site", "production", id).ok());
  }
  ASSERT_FALSE(store_->trees().has_tree("site", "d1"));
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  expect_tree_is("d1", m1);
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "x/index.html"), "x1");
  expect_tree_is("d3", m3);  // was live until now: never a donor
  // Writing a recycled deploy again (a retried build) lays its tree down too.
  ASSERT_TRUE(store_->trees().write_deploy("site", "d4", publish({{"index.html", "four"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d4").ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "d5", publish({{"index.html", "five"}})).ok());
  ASSERT_FALSE(store_->trees().has_tree("site", "d2"));
  ASSERT_TRUE(store_->trees().write_deploy("site", "d2", m2).ok());
  expect_tree_is("d2", m2);
}

TEST_F(TreesTest, LiveTreesAreNeverDonors) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "p1", publish({{"index.html", "prod"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "p1").ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "s1", publish({{"index.html", "staging"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "staging", "s1").ok());
  ASSERT_TRUE(store_->trees().write_deploy("site", "v1", publish({{"index.html", "preview"}})).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "preview", "v1").ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->trees().write_deploy("site", "x" + std::to_string(i), publish({{"index.html", std::to_string(i)}})).ok());
  }
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "production") / "index.html"), "prod");
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "staging") / "index.html"), "staging");
  EXPECT_EQ(slurp(store_->pointers().live_path("site", "preview") / "index.html"), "preview");
}

TEST_F(TreesTest, PatchStopsAtAMissingBlobAndLeavesLiveAlone) {
  Manifest m1 = publish({{"index.html", "one"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m1).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  ASSERT_TRUE(store_->trees().keep_spare_tree("site").ok());
  Manifest bad = publish({{"index.html", "two"}});
  bad.entries.push_back({"gone/index.html", sha256_hex("never stored"), 3, ""});
  auto r = store_->trees().write_deploy("site", "d2", bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_FALSE(store_->reader().has_deploy("site", "d2"));
  EXPECT_FALSE(store_->trees().has_tree("site", "d2"));
  expect_tree_is("d1", m1);
  // No temporary tree is left behind, and the next deploy still succeeds.
  for (const auto& e : fs::directory_iterator(store_->root() / "deploys/site"))
    EXPECT_NE(e.path().filename().string().rfind(".tmp.", 0), 0u) << e.path();
  Manifest m3 = publish({{"index.html", "three"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d3", m3).ok());
  expect_tree_is("d3", m3);
}

TEST_F(TreesTest, TwoStoresOnOneRootTakeTurns) {
  // Two shippers (as during a partition handover) writing and switching the
  // same site: the site lock keeps every tree whole.
  auto other = Shipper::open(store_->root());
  ASSERT_TRUE(other.ok());
  std::vector<Manifest> manifests;
  for (int i = 0; i < 40; ++i)
    manifests.push_back(publish({{"index.html", "v" + std::to_string(i)}, {"p/index.html", "p" + std::to_string(i % 5)}}));
  std::atomic<int> failures{0};
  auto run = [&](Shipper& s, int parity) {
    for (int i = parity; i < 40; i += 2) {
      const std::string id = "d" + std::to_string(i);
      if (!s.trees().write_deploy("site", id, manifests[static_cast<size_t>(i)]).ok()) ++failures;
      if (!s.pointers().switch_live("site", "production", id).ok()) ++failures;
    }
  };
  std::thread a(run, std::ref(*store_), 0), b(run, std::ref(**other), 1);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  size_t trees = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "d" + std::to_string(i);
    EXPECT_TRUE(store_->reader().has_deploy("site", id)) << id;
    if (!store_->trees().has_tree("site", id)) continue;
    ++trees;
    expect_tree_is(id, manifests[static_cast<size_t>(i)]);
  }
  EXPECT_GE(trees, 1u);
  EXPECT_LE(trees_on_disk(), 3u);
}

TEST_F(TreesTest, GcClearsWhatCrashesLeave) {
  Manifest m = publish({{"index.html", "x"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  const fs::path site = store_->root() / "deploys/site";
  fs::create_directories(site / ".spare.1.1");
  fs::copy_file(site / "d1.manifest.json", site / ".spare.2.2.manifest.json");
  // A deploy tree whose manifest never came (or was pruned first), and a
  // temporary tree of a deployment whose id reads like a manifest.
  fs::create_directories(site / "d9" / "x");
  fs::create_directories(site / ".tmp.manifest.json.1.1");
  struct timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 7200;
  times[1] = times[0];
  for (const char* name : {".spare.1.1", ".spare.2.2.manifest.json", "d9", ".tmp.manifest.json.1.1"})
    ::utimensat(AT_FDCWD, (site / name).c_str(), times, AT_SYMLINK_NOFOLLOW);
  ASSERT_TRUE(store_->trees().keep_spare_tree("site").ok());  // a whole spare, young
  auto gc = store_->collector().gc_blobs(std::chrono::hours(1));
  ASSERT_TRUE(gc.ok()) << gc.error().message;
  EXPECT_FALSE(fs::exists(site / ".spare.1.1"));
  EXPECT_FALSE(fs::exists(site / ".spare.2.2.manifest.json"));
  EXPECT_FALSE(fs::exists(site / "d9"));
  EXPECT_FALSE(fs::exists(site / ".tmp.manifest.json.1.1"));
  size_t spares = 0;
  for (const auto& e : fs::directory_iterator(site))
    if (e.path().filename().string().rfind(".spare.", 0) == 0) ++spares;
  EXPECT_EQ(spares, 2u);  // the whole one: its tree and its manifest
  expect_tree_is("d1", m);
}

}  // namespace
}  // namespace pw::ship::testing
