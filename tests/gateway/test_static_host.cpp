// The embedded static host over a real deploy store: files streamed in pieces,
// byte ranges, and non-production deploys reachable only by their preview
// token (always noindex). The last tests go through the real HTTP server.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "gateway/http_server.hpp"
#include "gateway/static_host.hpp"
#include "store/deploy_reader.hpp"
#include "tests/support/http_client.hpp"
#include "workers/ship/shipper.hpp"

namespace pw::gateway {
namespace {

namespace fs = std::filesystem;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>('a' + x % 26);
  }
  return s;
}

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}
bool has_header(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return true;
  return false;
}

// The whole body: what `body` holds and what next_chunk yields, counting pieces.
std::string drain(HttpResponse& r, size_t* pieces = nullptr) {
  std::string all = r.body;
  size_t n = 1;
  if (r.next_chunk)
    while (auto c = r.next_chunk()) {
      all += *c;
      ++n;
    }
  if (pieces) *pieces = n;
  return all;
}

class StaticHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("pw-static-" + std::to_string(rd()) + std::to_string(rd()));
    auto store = ship::Shipper::open(dir_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    big_ = pattern(3 * 1024 * 1024 + 17);
    ship("acme", "p1", "production", "production home", big_);
    ship("acme", "s1", "staging", "staging home", "staging big");
    auto token = store_->previews().publish_preview("acme", "s1");
    ASSERT_TRUE(token.ok()) << token.error().message;
    token_ = *token;
    auto reader = store::DeployReader::open(dir_);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    reader_ = std::move(reader).value();
    host_ = std::make_unique<StaticHost>(*reader_);
  }
  void TearDown() override {
    host_.reset();
    reader_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void ship(const std::string& site, const std::string& id, const std::string& env, const std::string& home,
            const std::string& big) {
    store::Manifest m;
    for (auto [path, bytes] : {std::pair<std::string, std::string>{"index.html", home},
                               {"big.bin", big},
                               {"about/index.html", "about"},
                               {"404.html", "<html>missing</html>"}}) {
      auto hash = store_->blobs().put(bytes);
      ASSERT_TRUE(hash.ok());
      m.entries.push_back({path, *hash, bytes.size(), ""});
    }
    ASSERT_TRUE(store_->trees().write_deploy(site, id, std::move(m)).ok());
    ASSERT_TRUE(store_->pointers().switch_live(site, env, id).ok());
  }
  HttpResponse get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {},
                   const std::string& method = "GET") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = std::move(headers);
    return host_->serve(r);
  }

  fs::path dir_;
  std::unique_ptr<ship::Shipper> store_;
  std::unique_ptr<store::DeployReader> reader_;
  std::unique_ptr<StaticHost> host_;
  std::string big_, token_;
};

TEST_F(StaticHostTest, AFileIsStreamedInPiecesWithItsLength) {
  HttpResponse r = get("/sites/acme/big.bin");
  ASSERT_EQ(r.status, 200);
  EXPECT_LE(r.body.size(), StaticHost::kChunkBytes);  // never the whole file at once
  EXPECT_TRUE(static_cast<bool>(r.next_chunk));
  EXPECT_EQ(header(r, "Content-Length"), std::to_string(big_.size()));
  EXPECT_EQ(header(r, "Accept-Ranges"), "bytes");
  size_t pieces = 0;
  EXPECT_EQ(drain(r, &pieces), big_);
  EXPECT_EQ(pieces, (big_.size() + StaticHost::kChunkBytes - 1) / StaticHost::kChunkBytes);
  EXPECT_FALSE(has_header(r, "X-Robots-Tag"));  // production is public

  HttpResponse small = get("/sites/acme/");
  EXPECT_EQ(small.body, "production home");
  EXPECT_FALSE(static_cast<bool>(small.next_chunk));
  EXPECT_EQ(header(small, "Content-Length"), "15");

  HttpResponse head = get("/sites/acme/big.bin", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_FALSE(static_cast<bool>(head.next_chunk));
  EXPECT_EQ(header(head, "Content-Length"), std::to_string(big_.size()));
}

TEST_F(StaticHostTest, SingleByteRangesAreAnsweredWith206) {
  const std::string size = std::to_string(big_.size());
  struct Case {
    std::string range;
    size_t first, last;
  };
  for (const Case& c : {Case{"bytes=0-9", 0, 9}, Case{"bytes=100000-299999", 100000, 299999},
                        Case{"bytes=" + std::to_string(big_.size() - 5) + "-", big_.size() - 5, big_.size() - 1},
                        Case{"bytes=-7", big_.size() - 7, big_.size() - 1},
                        Case{"bytes=5-999999999999", 5, big_.size() - 1},
                        Case{"bytes=-999999999", 0, big_.size() - 1}}) {
    HttpResponse r = get("/sites/acme/big.bin", {{"range", c.range}});
    ASSERT_EQ(r.status, 206) << c.range;
    EXPECT_EQ(header(r, "Content-Range"),
              "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + size)
        << c.range;
    EXPECT_EQ(header(r, "Content-Length"), std::to_string(c.last - c.first + 1)) << c.range;
    EXPECT_LE(r.body.size(), StaticHost::kChunkBytes);
    EXPECT_EQ(drain(r), big_.substr(c.first, c.last - c.first + 1)) << c.range;
  }
}

TEST_F(StaticHostTest, UnsatisfiableRangesAre416AndOthersGetTheWholeFile) {
  const std::string size = std::to_string(big_.size());
  for (const std::string& range : {"bytes=" + size + "-", "bytes=" + size + "-" + size + "0", std::string("bytes=-0")}) {
    HttpResponse r = get("/sites/acme/big.bin", {{"range", range}});
    EXPECT_EQ(r.status, 416) << range;
    EXPECT_EQ(header(r, "Content-Range"), "bytes */" + size) << range;
  }
  // Several ranges, other units, nonsense: the whole file (RFC 9110 lets a
  // server ignore Range).
  for (const char* range : {"bytes=0-1,5-6", "items=0-1", "bytes=9-2", "bytes=x-y", "bytes=1"}) {
    HttpResponse r = get("/sites/acme/big.bin", {{"range", range}});
    EXPECT_EQ(r.status, 200) << range;
    EXPECT_FALSE(has_header(r, "Content-Range"));
    EXPECT_EQ(drain(r).size(), big_.size()) << range;
  }
  // If-Range: the range holds only for the representation the client has.
  const std::string etag = header(get("/sites/acme/big.bin", {}, "HEAD"), "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(get("/sites/acme/big.bin", {{"range", "bytes=0-0"}, {"if-range", etag}}).status, 206);
  EXPECT_EQ(get("/sites/acme/big.bin", {{"range", "bytes=0-0"}, {"if-range", "\"other\""}}).status, 200);
  EXPECT_EQ(get("/sites/acme/big.bin", {{"range", "bytes=0-0"}, {"if-range", "Sun, 06 Dec 2026 07:00:00 GMT"}}).status,
            200);
  // A missing file's 404 page is not ranged.
  EXPECT_EQ(get("/sites/acme/nowhere", {{"range", "bytes=0-1"}}).status, 404);
}

TEST_F(StaticHostTest, AStagingDeployIsServedOnlyAtItsTokenAndAlwaysNoindex) {
  ASSERT_TRUE(store::is_valid_preview_token(token_));
  const std::string base = "/previews/" + token_ + "/";
  HttpResponse home = get(base);
  ASSERT_EQ(home.status, 200);
  EXPECT_EQ(home.body, "staging home");
  EXPECT_EQ(header(home, "X-Robots-Tag"), "noindex");
  HttpResponse about = get(base + "about");
  EXPECT_EQ(about.status, 301);
  EXPECT_EQ(header(about, "Location"), base + "about/");
  EXPECT_EQ(header(about, "X-Robots-Tag"), "noindex");
  HttpResponse missing = get(base + "nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "<html>missing</html>");
  EXPECT_EQ(header(missing, "X-Robots-Tag"), "noindex");
  EXPECT_EQ(get(base + "big.bin", {{"range", "bytes=0-3"}}).body, "stag");
  EXPECT_EQ(header(get("/previews/" + token_), "X-Robots-Tag"), "noindex");  // the redirect too

  // The guessable addresses are gone; wrong tokens lead nowhere.
  EXPECT_EQ(get("/sites/acme--staging/").status, 404);
  EXPECT_EQ(get("/sites/acme--preview/").status, 404);
  std::string wrong = token_;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string& t : {wrong, token_.substr(0, 31), token_ + "0", std::string("..%2F..%2Flive"),
                               std::string(32, 'A')}) {
    HttpResponse r = get("/previews/" + t + "/");
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(header(r, "X-Robots-Tag"), "noindex") << t;
    EXPECT_EQ(r.body.find("staging"), std::string::npos);
  }
  EXPECT_EQ(get(base, {}, "POST").status, 405);
  EXPECT_EQ(header(get(base, {}, "POST"), "X-Robots-Tag"), "noindex");

  // Once the deploy is pruned, its token leads nowhere either.
  ASSERT_TRUE(store_->pointers().switch_live("acme", "staging", "p1").ok());
  auto pruned = store_->collector().prune("acme", {"s1"}, 0, {});
  ASSERT_TRUE(pruned.ok());
  ASSERT_EQ(pruned->size(), 1u);
  EXPECT_EQ(get(base).status, 404);
  EXPECT_FALSE(store_->reader().resolve_preview(token_)->has_value());
}

TEST_F(StaticHostTest, TokensAreStableAcrossProcessesAndDifferPerDeploy) {
  auto again = ship::Shipper::open(dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->reader().preview_token("acme", "s1").value(), token_);
  EXPECT_EQ((*again)->previews().publish_preview("acme", "s1").value(), token_);  // a redone build: same entry
  EXPECT_NE((*again)->reader().preview_token("acme", "s2").value(), token_);
  EXPECT_NE((*again)->reader().preview_token("acmf", "s1").value(), token_);
  // Another store has another key: tokens cannot be derived from names alone.
  auto elsewhere = ship::Shipper::open(dir_ / "other");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_NE((*elsewhere)->reader().preview_token("acme", "s1").value(), token_);
  EXPECT_EQ(fs::status(dir_ / "preview.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir_ / "previews").permissions() & (fs::perms::group_read | fs::perms::others_read),
            fs::perms::none);
}

// Through the real server: a large file arrives whole, with its length and
// unchunked, and ranges and HEAD keep their lengths on the wire.
TEST_F(StaticHostTest, TheServerStreamsALargeFileAndItsRanges) {
  big_ = pattern(24 * 1024 * 1024 + 3);
  ship("acme", "p2", "production", "home", big_);
  StaticHost* host = host_.get();
  HttpServerConfig cfg;
  auto server = HttpServer::start(
      cfg, [host](HttpRequest q, Respond r) { r(host->serve(q)); },
      [](int status, std::string message) { return HttpResponse{status, {}, std::move(message), {}}; });
  ASSERT_TRUE(server.ok()) << server.error().message;
  test::HttpClient client("127.0.0.1", (*server)->port());

  test::HttpReply whole = client.request("GET", "/sites/acme/big.bin");
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("content-length"), std::to_string(big_.size()));
  EXPECT_EQ(whole.header("transfer-encoding"), "");
  EXPECT_TRUE(whole.body == big_);

  test::HttpReply part = client.request("GET", "/sites/acme/big.bin", {}, {{"Range", "bytes=1000000-"}});
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(part.header("content-length"), std::to_string(big_.size() - 1000000));
  EXPECT_TRUE(part.body == big_.substr(1000000));

  // HEAD on the wire (the test client's parser expects a body after a length).
  const std::string head = client.raw("HEAD /sites/acme/big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(big_.size()) + "\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.size(), head.find("\r\n\r\n") + 4) << "HEAD sent a body";

  // The connection is still usable after the streams.
  test::HttpReply small = client.request("GET", "/previews/" + token_ + "/");
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, "staging home");
  EXPECT_EQ(small.header("x-robots-tag"), "noindex");
  (*server)->shutdown(std::chrono::seconds(2));
}

}  // namespace
}  // namespace pw::gateway
