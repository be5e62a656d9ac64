#pragma once
// Value rules shared by the deciders and the gateway (formats, lengths).
#include <cstdint>
#include <string>
#include <string_view>

namespace pw::domain {

inline constexpr size_t kMaxSubdomain = 63;
inline constexpr size_t kMaxSiteName = 200;
inline constexpr size_t kMaxSlug = 200;
inline constexpr size_t kMaxTitle = 300;
inline constexpr size_t kMaxDescription = 1000;
inline constexpr size_t kMaxUrl = 2048;

// Code points in s, or -1 if s is not valid UTF-8.
int64_t utf8_length(std::string_view s);
// True when 1 <= code points <= max (and s is valid UTF-8).
bool valid_text(std::string_view s, size_t max, bool allow_empty = false);

bool is_valid_subdomain(std::string_view s);     // ^[a-z0-9](-?[a-z0-9])*$, ≤ 63
bool is_valid_slug(std::string_view s);          // "" or segments joined by '/', ≤ 200
bool is_valid_component_id(std::string_view s);  // ^[A-Za-z0-9_-]{1,64}$

// Lowercase ASCII letters and digits, every other run → '-', trimmed, ≤ 200;
// "page" when nothing is left (an empty slug would claim the home page).
std::string slug_from_title(std::string_view title);

}  // namespace pw::domain
