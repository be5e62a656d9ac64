#include "gateway/static_host.hpp"

#include <array>
#include <optional>
#include <stdexcept>

#include "gateway/routes.hpp"
#include "store/deploy_reader.hpp"

namespace pw::gateway {
namespace {

constexpr std::string_view kPrefix = "/sites/";
constexpr std::string_view kPreviews = "/previews/";
constexpr size_t kMaxCachedManifests = 256;

struct Type {
  std::string_view ext;
  const char* mime;
};
constexpr std::array<Type, 13> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".xml", "application/xml; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
}};

std::string content_type(std::string_view path) {
  for (const auto& t : kTypes)
    if (path.size() >= t.ext.size() && path.substr(path.size() - t.ext.size()) == t.ext) return t.mime;
  return "application/octet-stream";
}

HttpResponse plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

HttpResponse redirect(std::string location) {
  HttpResponse r = plain(301, "moved to " + location + "\n");
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

// The ETag of a file is its content hash, quoted; If-None-Match may list several.
bool etag_matches(std::string_view if_none_match, const std::string& etag) {
  if (if_none_match == "*") return true;
  return if_none_match.find(etag) != std::string_view::npos;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// What a Range header asks of a file of `size` bytes.
struct ByteRange {
  enum class Kind { whole, part, unsatisfiable } kind = Kind::whole;
  uint64_t first = 0, last = 0;  // inclusive, for part
};

// One range of "bytes=a-b", "bytes=a-" or "bytes=-n"; anything else (several
// ranges, other units, a malformed header) is answered with the whole file,
// as RFC 9110 allows.
ByteRange parse_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit) || header.find(',') != std::string_view::npos) return {};
  std::string_view spec = header.substr(kUnit.size());
  while (!spec.empty() && (spec.front() == ' ' || spec.front() == '\t')) spec.remove_prefix(1);
  while (!spec.empty() && (spec.back() == ' ' || spec.back() == '\t')) spec.remove_suffix(1);
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // the last n bytes
    auto n = parse_u64(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {ByteRange::Kind::unsatisfiable};
    return {ByteRange::Kind::part, size - std::min(*n, size), size - 1};
  }
  auto first = parse_u64(a);
  if (!first) return {};
  std::optional<uint64_t> last = b.empty() ? std::optional<uint64_t>(UINT64_MAX) : parse_u64(b);
  if (!last || *last < *first) return {};
  if (*first >= size) return {ByteRange::Kind::unsatisfiable};
  return {ByteRange::Kind::part, *first, std::min(*last, size - 1)};
}

// Bytes [offset, end) of the blob: the first piece in the body, the rest
// through next_chunk, one piece per call (the server's threads call it, so
// each call reads at most kChunkBytes). Content-Length is the total, so the
// server sends it unchunked.
Result<void> stream(HttpResponse& r, std::shared_ptr<store::BlobFile> file, uint64_t offset, uint64_t end) {
  r.headers.emplace_back("Content-Length", std::to_string(end - offset));
  const size_t first = static_cast<size_t>(std::min<uint64_t>(StaticHost::kChunkBytes, end - offset));
  auto head = file->read(offset, first);
  if (!head.ok()) return head.error();
  if (head->size() != first) return make_error(Errc::internal, "blob shorter than its manifest size");
  r.body = std::move(head).value();
  offset += first;
  if (offset >= end) return {};
  r.next_chunk = [file = std::move(file), offset, end]() mutable -> std::optional<std::string> {
    if (offset >= end) return std::nullopt;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(StaticHost::kChunkBytes, end - offset));
    auto piece = file->read(offset, n);
    // The headers are gone: all that is left is to cut the body short, which
    // the server does when a stream throws.
    if (!piece.ok() || piece->size() != n) throw std::runtime_error("blob read failed while streaming");
    offset += n;
    return std::move(piece).value();
  };
  return {};
}

}  // namespace

StaticHost::StaticHost(const store::DeployReader& reader, Clock clock) : reader_(reader), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

Result<std::string> StaticHost::draft_preview_url(const std::string& previewId) {
  auto token = reader_.draft_preview_token(previewId);
  if (!token.ok()) return token.error();
  return std::string(kPreviews) + *token + "/";
}

bool StaticHost::expired(const std::string& deploy) const {
  const auto expiry = store::DeployReader::draft_preview_expiry(deploy);
  if (!expiry) return false;
  return std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count() >= *expiry;
}
StaticHost::~StaticHost() = default;

bool StaticHost::handles(std::string_view target) {
  return target.starts_with(kPrefix) || target.starts_with(kPreviews);
}

std::shared_ptr<const StaticHost::Files> StaticHost::manifest(const std::string& subdomain,
                                                              const std::string& deploy) {
  const auto key = std::make_pair(subdomain, deploy);
  {
    std::lock_guard lock(mu_);
    if (auto it = manifests_.find(key); it != manifests_.end()) return it->second;
  }
  // Deploys are immutable, so a manifest read once stays right.
  auto m = reader_.read_manifest(subdomain, deploy);
  if (!m.ok()) return nullptr;
  auto files = std::make_shared<Files>();
  for (const auto& e : m->entries) files->emplace(e.path, std::make_pair(e.hash, e.size));
  std::lock_guard lock(mu_);
  if (manifests_.size() >= kMaxCachedManifests) manifests_.clear();
  manifests_.emplace(key, files);
  return files;
}

HttpResponse StaticHost::serve(const HttpRequest& request) {
  std::string_view target = request.target;
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  const bool preview = target.starts_with(kPreviews);
  HttpResponse r = [&] {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse refused = plain(405, "method not allowed\n");
      refused.headers.emplace_back("Allow", "GET, HEAD");
      return refused;
    }
    std::string_view rest = target.substr(preview ? kPreviews.size() : kPrefix.size());
    const auto slash = rest.find('/');
    const std::string name(rest.substr(0, slash));
    if (slash == std::string_view::npos) return redirect(std::string(target) + "/");
    auto decoded = percent_decode(rest.substr(slash + 1), false);
    if (!decoded || decoded->find('\0') != std::string::npos) return plain(404, "not found\n");
    if (preview) {
      auto found = reader_.resolve_preview(name);
      if (!found.ok()) return plain(503, "the preview cannot be read\n");
      if (!found->has_value() || expired((*found)->deploymentId)) return plain(404, "not found\n");
      return serve_file(request, (*found)->site, (*found)->deploymentId, std::move(*decoded));
    }
    // Production only: "--" never occurs in a subdomain, so the old
    // "<subdomain>--<environment>" names are not sites.
    if (!store::is_valid_site(name)) return plain(404, "not found\n");
    auto live = reader_.live(name, "production");
    if (!live.ok() || !live->has_value()) return plain(404, "no live deploy of this site\n");
    return serve_file(request, name, **live, std::move(*decoded));
  }();
  // Staging and preview deploys stay out of search engines, their 404s included.
  if (preview) r.headers.emplace_back("X-Robots-Tag", "noindex");
  return r;
}

HttpResponse StaticHost::serve_file(const HttpRequest& request, const std::string& subdomain,
                                    const std::string& deploy, std::string path) {
  auto files = manifest(subdomain, deploy);
  if (!files) {
    // A pruned deploy's preview token leads nowhere.
    return reader_.has_deploy(subdomain, deploy) ? plain(503, "the deploy cannot be read\n") : plain(404, "not found\n");
  }
  if (path.empty() || path.back() == '/') path += "index.html";
  auto it = files->find(path);
  bool missing = false;
  if (it == files->end()) {
    if (files->count(path + "/index.html"))
      return redirect(std::string(std::string_view(request.target).substr(0, request.target.find('?'))) + "/");
    it = files->find("404.html");
    if (it == files->end()) return plain(404, "not found\n");
    path = "404.html";
    missing = true;
  }
  const std::string etag = "\"" + it->second.first + "\"";
  const uint64_t size = it->second.second;
  HttpResponse r;
  r.status = missing ? 404 : 200;
  r.headers.emplace_back("Content-Type", content_type(path));
  r.headers.emplace_back("ETag", etag);
  // Hashed assets never change under their name; everything else is revalidated
  // on every use, so a publish or rollback is seen at once.
  r.headers.emplace_back("Cache-Control", path.rfind("assets/", 0) == 0
                                              ? "public, max-age=31536000, immutable"
                                              : "public, max-age=0, must-revalidate");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src * data:; script-src 'none'; object-src 'none'; "
                         "base-uri 'none'; frame-ancestors 'none'");
  if (!missing) r.headers.emplace_back("Accept-Ranges", "bytes");
  if (!missing)
    if (auto inm = request.header("if-none-match"); inm && etag_matches(*inm, etag)) {
      r.status = 304;
      return r;
    }
  uint64_t offset = 0, end = size;
  if (auto range = request.header("range"); range && !missing) {
    // If-Range: the range only holds for the representation the client has;
    // a date (we send no Last-Modified) or another ETag gets the whole file.
    const auto if_range = request.header("if-range");
    const ByteRange want = !if_range || *if_range == etag ? parse_range(*range, size) : ByteRange{};
    if (want.kind == ByteRange::Kind::unsatisfiable) {
      HttpResponse refused = plain(416, "range not satisfiable\n");
      refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      refused.headers.emplace_back("Accept-Ranges", "bytes");
      return refused;
    }
    if (want.kind == ByteRange::Kind::part) {
      r.status = 206;
      offset = want.first;
      end = want.last + 1;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(want.first) + "-" +
                                                  std::to_string(want.last) + "/" + std::to_string(size));
    }
  }
  if (request.method == "HEAD") {
    r.headers.emplace_back("Content-Length", std::to_string(end - offset));
    return r;
  }
  auto file = reader_.open_blob(it->second.first);
  if (!file.ok()) return plain(503, "the deploy cannot be read\n");
  if ((*file)->size() != size) return plain(503, "the deploy cannot be read\n");
  if (auto streamed = stream(r, std::shared_ptr<store::BlobFile>(std::move(file).value()), offset, end); !streamed.ok())
    return plain(503, "the deploy cannot be read\n");
  return r;
}

}  // namespace pw::gateway
