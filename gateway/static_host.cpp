#include "gateway/static_host.hpp"

#include <array>

#include "gateway/routes.hpp"
#include "workers/ship/deploy_store.hpp"

namespace pw::gateway {
namespace {

constexpr std::string_view kPrefix = "/sites/";
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

}  // namespace

std::unique_ptr<StaticHost> StaticHost::open(const std::filesystem::path& sites_dir) {
  auto store = ship::DeployStore::open(sites_dir);
  if (!store.ok()) return nullptr;
  return std::unique_ptr<StaticHost>(new StaticHost(std::move(store).value()));
}

StaticHost::StaticHost(std::unique_ptr<ship::DeployStore> store) : store_(std::move(store)) {}
StaticHost::~StaticHost() = default;

bool StaticHost::handles(std::string_view target) { return target.substr(0, kPrefix.size()) == kPrefix; }

std::shared_ptr<const StaticHost::Files> StaticHost::manifest(const std::string& subdomain,
                                                              const std::string& deploy) {
  const auto key = std::make_pair(subdomain, deploy);
  {
    std::lock_guard lock(mu_);
    if (auto it = manifests_.find(key); it != manifests_.end()) return it->second;
  }
  // Deploys are immutable, so a manifest read once stays right.
  auto m = store_->read_manifest(subdomain, deploy);
  if (!m.ok()) return nullptr;
  auto files = std::make_shared<Files>();
  for (const auto& e : m->entries) files->emplace(e.path, std::make_pair(e.hash, e.size));
  std::lock_guard lock(mu_);
  if (manifests_.size() >= kMaxCachedManifests) manifests_.clear();
  manifests_.emplace(key, files);
  return files;
}

HttpResponse StaticHost::serve(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = plain(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  std::string_view target = request.target;
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::string_view rest = target.substr(kPrefix.size());
  const auto slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  if (slash == std::string_view::npos) return redirect(std::string(target) + "/");
  auto decoded = percent_decode(rest.substr(slash + 1), false);
  if (!decoded || decoded->find('\0') != std::string::npos) return plain(404, "not found\n");
  std::string path = std::move(*decoded);

  std::string subdomain = name, environment = "production";
  if (auto dashes = name.find("--"); dashes != std::string::npos) {
    subdomain = name.substr(0, dashes);
    environment = name.substr(dashes + 2);
    if (environment != "staging" && environment != "preview") return plain(404, "not found\n");
  }
  auto live = store_->live(subdomain, environment);
  if (!live.ok() || !live->has_value()) return plain(404, "no live deploy of this site\n");
  auto files = manifest(subdomain, **live);
  if (!files) return plain(503, "the live deploy cannot be read\n");

  if (path.empty() || path.back() == '/') path += "index.html";
  auto it = files->find(path);
  bool missing = false;
  if (it == files->end()) {
    if (files->count(path + "/index.html")) return redirect(std::string(target) + "/");
    it = files->find("404.html");
    if (it == files->end()) return plain(404, "not found\n");
    path = "404.html";
    missing = true;
  }
  const std::string etag = "\"" + it->second.first + "\"";
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
  if (r.status == 200)
    if (auto inm = request.header("if-none-match"); inm && etag_matches(*inm, etag)) {
      r.status = 304;
      return r;
    }
  if (request.method == "HEAD") return r;
  auto bytes = store_->read_blob(it->second.first);
  if (!bytes.ok()) return plain(503, "the live deploy cannot be read\n");
  r.body = std::move(bytes).value();
  return r;
}

}  // namespace pw::gateway
