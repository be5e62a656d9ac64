#include "gateway/editor_host.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <system_error>

#include "events/hash_chain.hpp"
#include "gateway/routes.hpp"

namespace pw::gateway {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRoot = "/editor";
constexpr std::string_view kIndex = "index.html";

// Puck sets inline styles (style-src 'unsafe-inline'); its canvas is an
// about:srcdoc frame, which inherits this policy. Images come from this
// origin (the API's asset content is fetched into blob: URLs) or from the
// absolute URLs a page's props hold. The API is on this origin.
constexpr std::string_view kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; object-src 'none'";

struct Type {
  std::string_view ext;
  std::string_view mime;
};
constexpr std::array<Type, 14> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
}};

std::string content_type(std::string_view path) {
  for (const auto& t : kTypes)
    if (path.ends_with(t.ext)) return std::string(t.mime);
  return "application/octet-stream";
}

void common_headers(HttpResponse& r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kPolicy));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

HttpResponse plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-cache");
  common_headers(r);
  r.body = std::move(body);
  return r;
}

// A file ("assets/x.js", "favicon.svg") rather than a client route of the
// editor ("pages/<siteId>.<suffix>": page ids hold a dot).
bool is_file_path(std::string_view path) {
  if (path.starts_with("assets/")) return true;
  for (const auto& t : kTypes)
    if (path.ends_with(t.ext)) return true;
  return false;
}

}  // namespace

Result<std::unique_ptr<EditorHost>> EditorHost::open(const fs::path& dir) {
  std::unique_ptr<EditorHost> host(new EditorHost());
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return host;
  uint64_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return make_error(Errc::internal, "cannot read the editor directory " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error(Errc::internal, "cannot read the editor directory " + dir.string() + ": " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    if (host->files_.size() >= kMaxFiles)
      return make_error(Errc::internal, "the editor directory " + dir.string() + " holds more than " +
                                            std::to_string(kMaxFiles) + " files: is it an editor build?");
    std::ifstream in(it->path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return make_error(Errc::internal, "cannot read " + it->path().string());
    total += body.size();
    if (total > kMaxBytes)
      return make_error(Errc::internal, "the editor directory " + dir.string() + " holds more than " +
                                            std::to_string(kMaxBytes >> 20) + " MiB: is it an editor build?");
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    File f{content_type(rel), "\"" + sha256_hex(body).substr(0, 32) + "\"", std::move(body)};
    host->files_.emplace(rel, std::move(f));
  }
  // Without its index.html a directory is no editor build.
  if (!host->files_.contains(kIndex)) host->files_.clear();
  return host;
}

bool EditorHost::handles(std::string_view target) {
  if (!target.starts_with(kRoot)) return false;
  const std::string_view rest = target.substr(kRoot.size());
  return rest.empty() || rest.front() == '/' || rest.front() == '?';
}

HttpResponse EditorHost::not_built() {
  HttpResponse r = plain(404,
                         "The Pagewright editor is not built.\n\n"
                         "Build it with `ops/build` (it needs Node.js 20.19 or newer and npm; it runs `npm ci` and\n"
                         "`vite build` in editor/ into build/editor), then restart pagewright, or point\n"
                         "--editor-dir (PW_EDITOR_DIR) at a directory holding an editor build.\n");
  return r;
}

HttpResponse EditorHost::serve(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = plain(405, "method not allowed\n");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  if (!built()) return not_built();
  std::string_view target = request.target;
  const auto q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q);
  target = target.substr(0, q);
  if (target == kRoot) {
    HttpResponse r = plain(301, "moved to /editor/\n");
    r.headers.emplace_back("Location", "/editor/" + std::string(query));
    return r;
  }
  auto decoded = percent_decode(target.substr(kRoot.size() + 1), false);
  if (!decoded || decoded->find('\0') != std::string::npos) return plain(404, "not found\n");
  std::string path = std::move(*decoded);
  if (path.empty()) path = kIndex;
  if (auto it = files_.find(path); it != files_.end()) return file(request, path, it->second);
  if (!is_file_path(path)) return file(request, std::string(kIndex), files_.find(kIndex)->second);
  return plain(404, "not found\n");
}

HttpResponse EditorHost::file(const HttpRequest& request, const std::string& path, const File& f) const {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", f.content_type);
  r.headers.emplace_back("ETag", f.etag);
  // Vite names what it puts under assets/ by its content; index.html names
  // them, so it must be asked for again on every load.
  r.headers.emplace_back("Cache-Control",
                         path.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
  common_headers(r);
  if (auto inm = request.header("if-none-match"); inm && (*inm == "*" || inm->find(f.etag) != std::string_view::npos)) {
    r.status = 304;
    return r;
  }
  if (request.method == "HEAD") {
    r.headers.emplace_back("Content-Length", std::to_string(f.body.size()));
    return r;
  }
  r.body = f.body;
  return r;
}

}  // namespace pw::gateway
