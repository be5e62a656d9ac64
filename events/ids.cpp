#include "events/ids.hpp"

#include <openssl/rand.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace pw {
namespace {

// Fixed namespace of Pagewright subdomains; changing it would move every site.
constexpr std::string_view kSubdomainNamespace = "6f1c2a9e-3b8d-5c47-9a0e-70a9e4b1d2c3";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<uint8_t, 16> parse_uuid(std::string_view s) {
  if (!is_uuid(s)) throw std::invalid_argument("not a UUID");
  std::array<uint8_t, 16> out{};
  size_t j = 0;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '-') { ++i; continue; }
    out[j++] = static_cast<uint8_t>(hex_value(s[i]) * 16 + hex_value(s[i + 1]));
    i += 2;
  }
  return out;
}

std::string format_uuid(const uint8_t* b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

bool is_suffix(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (hex_value(s[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::string uuid_v5(std::string_view namespace_uuid, std::string_view name) {
  auto ns = parse_uuid(namespace_uuid);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, ns.data(), ns.size()) == 1 &&
            EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-1 failed");
  digest[6] = static_cast<uint8_t>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<uint8_t>((digest[8] & 0x3f) | 0x80);
  return format_uuid(digest);
}

std::string uuid_v4() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return format_uuid(b);
}

SiteId site_id_for_subdomain(std::string_view subdomain) {
  return SiteId{uuid_v5(kSubdomainNamespace, subdomain)};
}

PageId make_page_id(const SiteId& site, std::string_view suffix) {
  return PageId{site.value + "." + std::string(suffix)};
}

PageId new_page_id(const SiteId& site) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuv";
  uint8_t b[12];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string suffix;
  for (uint8_t x : b) suffix.push_back(kAlphabet[x & 31]);
  return make_page_id(site, suffix);
}

namespace {
std::optional<SiteId> site_prefix(const std::string& v) {
  if (v.size() < 38 || v[36] != '.') return std::nullopt;
  std::string_view site(v.data(), 36);
  if (!is_uuid(site) || !is_suffix(std::string_view(v).substr(37))) return std::nullopt;
  return SiteId{std::string(site)};
}

}  // namespace

std::optional<SiteId> site_of(const PageId& page) { return site_prefix(page.value); }

DeploymentId make_deployment_id(const SiteId& site, std::string_view suffix) {
  return DeploymentId{site.value + "." + std::string(suffix)};
}

std::optional<SiteId> site_of(const DeploymentId& deployment) {
  return site_prefix(deployment.value);
}

TemplateId make_template_id(const SiteId& site, std::string_view suffix) {
  return TemplateId{site.value + "." + std::string(suffix)};
}

std::optional<SiteId> site_of(const TemplateId& template_id) {
  return site_prefix(template_id.value);
}
PreviewId make_preview_id(const SiteId& site, std::string_view suffix) {
  return PreviewId{site.value + "." + std::string(suffix)};
}

std::optional<SiteId> site_of(const PreviewId& preview) { return site_prefix(preview.value); }

AssetId make_asset_id(const SiteId& site, std::string_view content_sha256_hex) {
  return AssetId{site.value + "." + std::string(content_sha256_hex.substr(0, 32))};
}

std::optional<SiteId> site_of(const AssetId& asset) { return site_prefix(asset.value); }

}  // namespace pw
