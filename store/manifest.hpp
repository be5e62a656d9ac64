#pragma once
// A deploy's manifest (what the deploy holds: each path's blob) and the name
// rules of the store: shared by the writing side (pagewright::ship) and the
// readers (the gateway's static host), so both agree on what a name may be.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace pw::store {

// path is relative ("index.html", "about/index.html"); hash is the sha256 hex
// of the bytes; key is the renderer's opaque dependency key ("" if none), kept
// so the next build can reuse outputs.
struct ManifestEntry {
  std::string path;
  std::string hash;
  uint64_t size = 0;
  std::string key;
  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

// Entries sorted by path, paths unique. manifest_to_json sorts on output, so
// the JSON (and its hash) does not depend on insertion order.
struct Manifest {
  std::vector<ManifestEntry> entries;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// Canonical compact JSON: {"files":[{"path":…,"hash":…,"size":…,"key":…},…]}.
std::string manifest_to_json(const Manifest& m);
// Strict: every entry needs a safe path, a 64-char lowercase hex hash, a size
// and a key; duplicate paths are refused. Returns the entries sorted.
Result<Manifest> manifest_from_json(std::string_view json);
std::string manifest_hash(const Manifest& m);

// Relative, no "." or ".." segments, no empty segments, no leading "/", no
// backslash, NUL or control characters, at most 1024 bytes.
bool is_safe_site_path(std::string_view path);
// ^[a-z0-9](-?[a-z0-9])*$, at most 63.
bool is_valid_site(std::string_view site);
// production | staging | preview.
bool is_valid_environment(std::string_view environment);
// ^[A-Za-z0-9_-]{1,128}$.
bool is_valid_deployment_id(std::string_view id);
bool is_valid_blob_hash(std::string_view hash);       // 64 lowercase hex digits
bool is_valid_preview_token(std::string_view token);  // 32 lowercase hex digits

}  // namespace pw::store
