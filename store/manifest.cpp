// Manifest JSON and the name rules of the store.
#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "events/hash_chain.hpp"
#include "events/json_scan.hpp"
#include "store/manifest.hpp"

namespace pw::store {

namespace {

std::vector<const ManifestEntry*> sorted_view(const Manifest& m) {
  std::vector<const ManifestEntry*> v;
  v.reserve(m.entries.size());
  for (const auto& e : m.entries) v.push_back(&e);
  auto by_path = [](const ManifestEntry* a, const ManifestEntry* b) { return a->path < b->path; };
  if (!std::is_sorted(v.begin(), v.end(), by_path)) std::sort(v.begin(), v.end(), by_path);
  return v;
}

// The canonical JSON written directly: the same bytes nlohmann writes for
// ASCII paths and keys, and 10,000 entries do not cost a DOM.
bool plain_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string fast_manifest_json(const std::vector<const ManifestEntry*>& sorted) {
  std::string out;
  out.reserve(sorted.size() * 160 + 16);
  out += "{\"files\":[";
  bool first = true;
  for (const ManifestEntry* e : sorted) {
    if (!first) out += ',';
    first = false;
    out += "{\"path\":";
    json_scan::append_quoted(out, e->path);
    out += ",\"hash\":\"";
    out += e->hash;
    out += "\",\"size\":";
    out += std::to_string(e->size);
    out += ",\"key\":";
    json_scan::append_quoted(out, e->key);
    out += '}';
  }
  out += "]}";
  return out;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Reads the canonical form manifest_to_json writes, in one pass without a DOM
// (a 10,000-entry manifest through nlohmann's DOM costs far more than the
// rest of a warm check). Anything else returns nullopt and goes the slow way.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view s) : s_(s) {}

  std::optional<Manifest> read() {
    Manifest m;
    m.entries.reserve(s_.size() / 128);
    if (!lit("{\"files\":[")) return std::nullopt;
    if (lit("]}")) return pos_ == s_.size() ? std::optional<Manifest>(std::move(m)) : std::nullopt;
    for (;;) {
      ManifestEntry e;
      if (!lit("{\"path\":") || !str(e.path) || !lit(",\"hash\":") || !str(e.hash) || !lit(",\"size\":") ||
          !num(e.size) || !lit(",\"key\":") || !str(e.key) || !lit("}"))
        return std::nullopt;
      m.entries.push_back(std::move(e));
      if (lit(",")) continue;
      if (lit("]}") && pos_ == s_.size()) return m;
      return std::nullopt;
    }
  }

 private:
  bool lit(std::string_view l) {
    if (s_.substr(pos_, l.size()) != l) return false;
    pos_ += l.size();
    return true;
  }
  bool num(uint64_t& v) {
    size_t start = pos_;
    v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9' && pos_ - start < 19) v = v * 10 + (s_[pos_++] - '0');
    return pos_ > start && (pos_ - start == 1 || s_[start] != '0');
  }
  // Plain strings only: any escape or non-ASCII byte sends the whole manifest
  // to the full parser, which knows every rule.
  bool str(std::string& out) {
    if (!lit("\"")) return false;
    size_t start = pos_;
    while (pos_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out.assign(s_.substr(start, pos_ - start));
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++pos_;
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

Result<Manifest> check_entries(Manifest m) {
  auto bad = [](std::string why) { return make_error(Errc::validation_error, "manifest: " + why); };
  for (const auto& e : m.entries) {
    if (!is_safe_site_path(e.path)) return bad("unsafe path " + e.path);
    if (!is_valid_blob_hash(e.hash)) return bad("bad hash for " + e.path);
  }
  auto by_path = [](const auto& a, const auto& b) { return a.path < b.path; };
  if (!std::is_sorted(m.entries.begin(), m.entries.end(), by_path)) std::sort(m.entries.begin(), m.entries.end(), by_path);
  for (size_t i = 1; i < m.entries.size(); ++i) {
    if (m.entries[i].path == m.entries[i - 1].path) return bad("duplicate path " + m.entries[i].path);
  }
  return m;
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  const auto sorted = sorted_view(m);
  if (std::all_of(sorted.begin(), sorted.end(),
                  [](const ManifestEntry* e) { return plain_ascii(e->path) && plain_ascii(e->key); }))
    return fast_manifest_json(sorted);
  // ordered_json keeps the documented field order; replace never throws on a
  // key that is not UTF-8 (such a key does not round-trip, and is not expected).
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const ManifestEntry* e : sorted) {
    files.push_back({{"path", e->path}, {"hash", e->hash}, {"size", e->size}, {"key", e->key}});
  }
  nlohmann::ordered_json doc = {{"files", std::move(files)}};
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<Manifest> manifest_from_json(std::string_view json) {
  auto bad = [](std::string why) { return make_error(Errc::validation_error, "manifest: " + why); };
  if (auto fast = CanonicalReader(json).read()) return check_entries(std::move(*fast));
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded()) return bad("not valid JSON");
  if (!doc.is_object() || !doc.contains("files") || !doc["files"].is_array()) return bad("expected {\"files\":[...]}");
  Manifest m;
  m.entries.reserve(doc["files"].size());
  for (const auto& f : doc["files"]) {
    if (!f.is_object()) return bad("file entry is not an object");
    auto p = f.find("path"), h = f.find("hash"), s = f.find("size"), k = f.find("key");
    if (p == f.end() || !p->is_string()) return bad("missing path");
    if (h == f.end() || !h->is_string()) return bad("bad hash for " + p->get<std::string>());
    if (s == f.end() || !s->is_number_unsigned()) return bad("bad size for " + p->get<std::string>());
    if (k == f.end() || !k->is_string()) return bad("bad key for " + p->get<std::string>());
    m.entries.push_back({p->get<std::string>(), h->get<std::string>(), s->get<uint64_t>(), k->get<std::string>()});
  }
  return check_entries(std::move(m));
}

std::string manifest_hash(const Manifest& m) { return sha256_hex(manifest_to_json(m)); }

bool is_safe_site_path(std::string_view path) {
  if (path.empty() || path.size() > 1024 || path.front() == '/') return false;
  size_t seg_start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string_view seg = path.substr(seg_start, i - seg_start);
      if (seg.empty() || seg == "." || seg == "..") return false;
      seg_start = i + 1;
      continue;
    }
    auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  return true;
}

bool is_valid_site(std::string_view site) {
  if (site.empty() || site.size() > 63) return false;
  if (!is_lower_alnum(site.front()) || !is_lower_alnum(site.back())) return false;
  for (size_t i = 0; i < site.size(); ++i) {
    char c = site[i];
    if (c == '-') {
      if (site[i + 1] == '-') return false;  // back() is alnum, so i + 1 is in range
    } else if (!is_lower_alnum(c)) {
      return false;
    }
  }
  return true;
}

bool is_valid_environment(std::string_view env) {
  return env == "production" || env == "staging" || env == "preview";
}

bool is_valid_deployment_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_valid_blob_hash(std::string_view hash) {
  return hash.size() == 64 &&
         std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_valid_preview_token(std::string_view token) {
  return token.size() == 32 &&
         std::all_of(token.begin(), token.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace pw::store
