// Blobs, manifests, write_deploy, prune and blob GC.
#include <sys/stat.h>
#include <fcntl.h>

#include "tests/ship/ship_fixture.hpp"

namespace pw::ship::testing {
namespace {

namespace fs = std::filesystem;

size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

void age_blob(Shipper& s, const std::string& hash, int seconds) {
  fs::path p = s.root() / "blobs" / hash.substr(0, 2) / hash;
  struct timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  ::utimensat(AT_FDCWD, p.c_str(), times, 0);
}

TEST_F(StoreTest, PutBlobDedupesAndKeepsContent) {
  auto a = store_->blobs().put("hello");
  auto b = store_->blobs().put("hello");
  auto c = store_->blobs().put("");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, sha256_hex("hello"));
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(store_->blobs().has(*a));
  EXPECT_FALSE(store_->blobs().has(sha256_hex("other")));
  EXPECT_FALSE(store_->blobs().has("../../etc/passwd"));
  EXPECT_EQ(*store_->blobs().read(*a), "hello");
  EXPECT_EQ(*store_->blobs().read(*c), "");
  EXPECT_EQ(store_->blobs().read(sha256_hex("other")).error().code, Errc::not_found);
  fs::path p = store_->root() / "blobs" / a->substr(0, 2) / *a;
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(count_files(store_->root() / "blobs"), 2u);  // no temporary files left behind
}

TEST_F(StoreTest, ConcurrentWritersOfOneBlob) {
  std::vector<std::thread> ts;
  std::string big(1 << 20, 'x');
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < 20; ++j) EXPECT_TRUE(store_->blobs().put(big).ok());
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(count_files(store_->root() / "blobs"), 1u);
  EXPECT_EQ(*store_->blobs().read(sha256_hex(big)), big);
}

TEST(Manifest, JsonRoundTripAndStableHash) {
  Manifest m;
  m.entries.push_back({"b/index.html", sha256_hex("b"), 1, "key \"quoted\"\n"});
  m.entries.push_back({"a.css", sha256_hex("a"), 12, ""});
  std::string json = manifest_to_json(m);
  EXPECT_EQ(json.rfind("{\"files\":[{\"path\":\"a.css\",\"hash\":\"", 0), 0u) << json;
  auto back = manifest_from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[0].path, "a.css");
  EXPECT_EQ(back->entries[1].key, "key \"quoted\"\n");
  EXPECT_EQ(manifest_to_json(*back), json);
  Manifest reversed;
  reversed.entries = {m.entries[1], m.entries[0]};
  EXPECT_EQ(manifest_hash(reversed), manifest_hash(m));
  EXPECT_EQ(manifest_hash(m), sha256_hex(json));
  m.entries[0].size = 2;
  EXPECT_NE(manifest_hash(m), manifest_hash(reversed));
}

TEST(Manifest, CanonicalBytesAreFixed) {
  // The manifest hash is recorded in events, so these bytes may never drift;
  // ASCII manifests and others are written by different code.
  const std::string a(64, 'a'), b(64, 'b');
  Manifest ascii;
  ascii.entries.push_back({"b/index.html", b, 7, "q\"b\\n\n\t\x01"});
  ascii.entries.push_back({"a.css", a, 0, ""});
  EXPECT_EQ(manifest_to_json(ascii),
            "{\"files\":[{\"path\":\"a.css\",\"hash\":\"" + a + "\",\"size\":0,\"key\":\"\"},"
            "{\"path\":\"b/index.html\",\"hash\":\"" + b + "\",\"size\":7,\"key\":\"q\\\"b\\\\n\\n\\t\\u0001\"}]}");
  Manifest utf8;
  utf8.entries.push_back({"caf\xc3\xa9/index.html", a, 12, "k\n"});
  EXPECT_EQ(manifest_to_json(utf8),
            "{\"files\":[{\"path\":\"caf\xc3\xa9/index.html\",\"hash\":\"" + a + "\",\"size\":12,\"key\":\"k\\n\"}]}");
}

TEST(Manifest, RejectsBadJson) {
  EXPECT_FALSE(manifest_from_json("nope").ok());
  EXPECT_FALSE(manifest_from_json("{\"files\":{}}").ok());
  std::string h = sha256_hex("x");
  EXPECT_FALSE(manifest_from_json(R"({"files":[{"path":"../x","hash":")" + h + R"(","size":1,"key":""}]})").ok());
  EXPECT_FALSE(manifest_from_json(R"({"files":[{"path":"x","hash":"ABC","size":1,"key":""}]})").ok());
  EXPECT_FALSE(manifest_from_json(R"({"files":[{"path":"x","hash":")" + h + R"(","size":-1,"key":""}]})").ok());
  std::string dup = R"({"path":"x","hash":")" + h + R"(","size":1,"key":""})";
  EXPECT_FALSE(manifest_from_json("{\"files\":[" + dup + "," + dup + "]}").ok());
}

TEST(Names, SafePathsSitesIds) {
  for (const char* ok : {"index.html", "about/index.html", "assets/site.ab12.css", "a b/ü.html", ".well-known/x"}) {
    EXPECT_TRUE(is_safe_site_path(ok)) << ok;
  }
  for (std::string bad : std::vector<std::string>{"", "/index.html", "../x", "a/../b", "./a", "a/./b", "a//b", "a/", "a\\b", "a\tb",
                          std::string("a\0b", 3), std::string(1025, 'a')}) {
    EXPECT_FALSE(is_safe_site_path(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_site("my-site1"));
  for (const char* bad : {"", "-a", "a-", "a--b", "A", "a_b", "a.b"}) EXPECT_FALSE(is_valid_site(bad)) << bad;
  EXPECT_FALSE(is_valid_site(std::string(64, 'a')));
  EXPECT_TRUE(is_valid_deployment_id("dep_01-AB"));
  for (const char* bad : {"", "a.b", "a/b", ".tmp"}) EXPECT_FALSE(is_valid_deployment_id(bad)) << bad;
}

TEST_F(StoreTest, WriteDeployMakesHardLinks) {
  auto m = publish({{"index.html", "<p>home</p>"}, {"about/team/index.html", "<p>team</p>"}, {"assets/site.css", "b{}"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m).ok());
  EXPECT_TRUE(store_->reader().has_deploy("site", "d1"));
  for (const auto& e : m.entries) {
    fs::path in_deploy = deploy_dir("site", "d1") / e.path;
    fs::path blob = store_->root() / "blobs" / e.hash.substr(0, 2) / e.hash;
    struct stat a {}, b {};
    ASSERT_EQ(::stat(in_deploy.c_str(), &a), 0) << e.path;
    ASSERT_EQ(::stat(blob.c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino) << e.path;
    EXPECT_EQ(a.st_nlink, 2u) << e.path;
  }
  EXPECT_EQ(slurp(deploy_dir("site", "d1") / "about/team/index.html"), "<p>team</p>");
  auto back = store_->reader().read_manifest("site", "d1");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_EQ(slurp(store_->root() / "deploys/site/d1.manifest.json"), manifest_to_json(m));
}

TEST_F(StoreTest, ManifestFileIsCanonicalJsonForAnyKey) {
  auto m = publish({{"index.html", "x"}, {"caf\xc3\xa9/index.html", "y"}});
  m.entries[0].key = "q\"b\\n\n t\t c\x01 d\x7f";
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m).ok());
  EXPECT_EQ(slurp(store_->root() / "deploys/site/d1.manifest.json"), manifest_to_json(m));
  auto back = store_->reader().read_manifest("site", "d1");
  ASSERT_TRUE(back.ok());
  Manifest sorted = m;
  std::sort(sorted.entries.begin(), sorted.entries.end(), [](auto& a, auto& b) { return a.path < b.path; });
  EXPECT_EQ(*back, sorted);
  Manifest ascii = publish({{"a.html", "1"}});
  ascii.entries[0].key = "k\"\x02";
  ASSERT_TRUE(store_->trees().write_deploy("site", "d2", ascii).ok());
  EXPECT_EQ(slurp(store_->root() / "deploys/site/d2.manifest.json"), manifest_to_json(ascii));
  EXPECT_EQ(*store_->reader().read_manifest("site", "d2"), ascii);
}

TEST_F(StoreTest, WriteDeployRetryIsIdempotentAndConflictRefused) {
  auto m = publish({{"index.html", "one"}, {"a/index.html", "two"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m).ok());
  Manifest shuffled;
  shuffled.entries = {m.entries[1], m.entries[0]};
  EXPECT_TRUE(store_->trees().write_deploy("site", "d1", shuffled).ok());
  auto other = publish({{"index.html", "changed"}});
  auto r = store_->trees().write_deploy("site", "d1", other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::duplicate);
  EXPECT_EQ(slurp(deploy_dir("site", "d1") / "index.html"), "one");
}

TEST_F(StoreTest, MissingBlobRefusedWithNothingLeftBehind) {
  auto m = publish({{"index.html", "one"}, {"x/y/z.html", "two"}});
  m.entries.push_back({"zz/missing.html", sha256_hex("never stored"), 3, ""});
  auto r = store_->trees().write_deploy("site", "d1", m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("zz/missing.html"), std::string::npos);
  EXPECT_FALSE(store_->reader().has_deploy("site", "d1"));
  // Only the site's lock file: no tree, no manifest, no temporary.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(store_->root() / "deploys/site")) left.push_back(e.path().filename());
  EXPECT_EQ(left, (std::vector<std::string>{".lock"}));
}

TEST_F(StoreTest, InvalidNamesAndPathsRefused) {
  auto m = publish({{"index.html", "x"}});
  for (const char* site : {"Site", "../x", "", "a--b"}) {
    auto r = store_->trees().write_deploy(site, "d1", m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::validation_error);
  }
  for (const char* id : {"../d", "d.1", "", "a/b"}) {
    auto r = store_->trees().write_deploy("site", id, m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::validation_error);
  }
  for (const char* path : {"../escape.html", "/abs.html", "a/./b.html", "a\\b"}) {
    Manifest bad = m;
    bad.entries[0].path = path;
    auto r = store_->trees().write_deploy("site", "d1", bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::validation_error) << path;
  }
  Manifest clash = publish({{"a", "file"}, {"a/b.html", "below a file"}});
  EXPECT_EQ(store_->trees().write_deploy("site", "d1", clash).error().code, Errc::validation_error);
  Manifest dup = m;
  dup.entries.push_back(m.entries[0]);
  EXPECT_EQ(store_->trees().write_deploy("site", "d1", dup).error().code, Errc::validation_error);
  EXPECT_FALSE(fs::exists(store_->root() / "deploys/site"));
}

TEST_F(StoreTest, CrashedTreeWithoutManifestIsRebuilt) {
  auto m = publish({{"index.html", "one"}});
  fs::create_directories(deploy_dir("site", "d1") / "junk");
  EXPECT_FALSE(store_->reader().has_deploy("site", "d1"));
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", m).ok());
  EXPECT_FALSE(fs::exists(deploy_dir("site", "d1") / "junk"));
  EXPECT_TRUE(store_->reader().has_deploy("site", "d1"));
}

TEST_F(StoreTest, PruneKeepsNewestLiveAndProtected) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back("d" + std::to_string(i));
    ASSERT_TRUE(store_->trees().write_deploy("site", ids.back(), publish({{"index.html", "v" + std::to_string(i)}})).ok());
  }
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "staging", "d0").ok());
  auto removed = store_->collector().prune("site", ids, 2, {"d2"});
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, (std::vector<std::string>{"d3"}));
  for (const char* kept : {"d0", "d1", "d2", "d4", "d5"}) EXPECT_TRUE(store_->reader().has_deploy("site", kept)) << kept;
  EXPECT_FALSE(fs::exists(deploy_dir("site", "d3")));
  EXPECT_FALSE(fs::exists(store_->root() / "deploys/site/d3.manifest.json"));
  auto again = store_->collector().prune("site", ids, 2, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<std::string>{"d2"}));
  EXPECT_EQ(store_->collector().prune("site", {"../x"}, 0, {}).error().code, Errc::validation_error);
}

TEST_F(StoreTest, GcRemovesOnlyUnreferencedOldBlobs) {
  auto live_m = publish({{"index.html", "kept"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", live_m).ok());
  ASSERT_TRUE(store_->pointers().switch_live("site", "production", "d1").ok());
  auto old_unref = *store_->blobs().put("old and unreferenced");
  auto young_unref = *store_->blobs().put("young and unreferenced");
  auto pruned_m = publish({{"index.html", "pruned"}});
  ASSERT_TRUE(store_->trees().write_deploy("site", "d0", pruned_m).ok());
  ASSERT_TRUE(store_->collector().prune("site", {"d0", "d1"}, 1, {}).ok());
  for (const auto& h : {old_unref, live_m.entries[0].hash, pruned_m.entries[0].hash}) age_blob(*store_, h, 7200);
  auto n = store_->collector().gc_blobs(std::chrono::hours(1));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(store_->blobs().has(old_unref));
  EXPECT_FALSE(store_->blobs().has(pruned_m.entries[0].hash));
  EXPECT_TRUE(store_->blobs().has(young_unref));
  EXPECT_TRUE(store_->blobs().has(live_m.entries[0].hash));
  EXPECT_EQ(slurp(deploy_dir("site", "d1") / "index.html"), "kept");
  // A reused blob is refreshed by put_blob, so it survives the next GC.
  auto again = *store_->blobs().put("young and unreferenced");
  age_blob(*store_, again, 7200);
  EXPECT_TRUE(store_->blobs().touch(again));
  EXPECT_EQ(*store_->collector().gc_blobs(std::chrono::hours(1)), 0u);
}

TEST_F(StoreTest, GcClearsTreesOfCrashedWrites) {
  auto m = publish({{"index.html", "orphan"}});
  fs::path tmp = store_->root() / "deploys/site/.tmp.d9.1.1";
  fs::create_directories(tmp);
  fs::create_hard_link(store_->root() / "blobs" / m.entries[0].hash.substr(0, 2) / m.entries[0].hash, tmp / "index.html");
  age_blob(*store_, m.entries[0].hash, 7200);
  EXPECT_EQ(*store_->collector().gc_blobs(std::chrono::hours(1)), 0u);  // the temporary tree is young
  struct timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 7200;
  times[1] = times[0];
  ::utimensat(AT_FDCWD, tmp.c_str(), times, 0);
  EXPECT_EQ(*store_->collector().gc_blobs(std::chrono::hours(1)), 1u);
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_FALSE(store_->blobs().has(m.entries[0].hash));
}

}  // namespace
}  // namespace pw::ship::testing
