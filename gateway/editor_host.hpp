#pragma once
// The reference editor's files (editor/, built by ops/build into
// build/editor): GET /editor/… outside /v1, no auth. The directory is read
// whole when the host opens (a Vite build is a few files of a few MiB), so a
// request never joins its path onto the file system. A path that names no file
// and looks like none (not under assets/, no known file extension) is a
// client route of the editor and gets index.html; a missing file is a 404 (a
// stale index asking for an old asset must not get HTML back). Hashed assets (assets/…) are cached for a
// year, index.html is revalidated on every load, and every answer carries a
// Content-Security-Policy that lets Puck run (its inline styles) and nothing
// else: scripts only from this origin, no eval, no plug-ins, no framing.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "events/result.hpp"
#include "gateway/http_types.hpp"

namespace pw::gateway {

class EditorHost {
 public:
  // Refuses a directory larger than this (a wrong --editor-dir, not a build).
  static constexpr size_t kMaxFiles = 2000;
  static constexpr uint64_t kMaxBytes = 64ull << 20;

  // The files under `dir`. A missing directory is no error: the host then
  // answers every request with a 404 page that says how to build the editor.
  // An unreadable or oversized one is.
  static Result<std::unique_ptr<EditorHost>> open(const std::filesystem::path& dir);

  static bool handles(std::string_view target);  // "/editor", "/editor/…"
  // What /editor/… answers when no editor was built.
  static HttpResponse not_built();

  bool built() const { return !files_.empty(); }
  size_t file_count() const { return files_.size(); }
  // From memory; never blocks.
  HttpResponse serve(const HttpRequest& request) const;

 private:
  struct File {
    std::string content_type;
    std::string etag;
    std::string body;
  };
  EditorHost() = default;
  HttpResponse file(const HttpRequest& request, const std::string& path, const File& f) const;

  std::map<std::string, File, std::less<>> files_;  // path relative to the directory → file
};

}  // namespace pw::gateway
