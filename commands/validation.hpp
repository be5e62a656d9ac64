#pragma once
// Value rules shared by the deciders and the gateway (formats, lengths).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::domain {

inline constexpr size_t kMaxSubdomain = 63;
inline constexpr size_t kMaxSiteName = 200;
inline constexpr size_t kMaxSlug = 200;
inline constexpr size_t kMaxTitle = 300;
inline constexpr size_t kMaxDescription = 1000;
inline constexpr size_t kMaxUrl = 2048;
// API.md "Limits". Sizes are of compact JSON (nlohmann's dump()), in bytes.
inline constexpr size_t kMaxSettingsBytes = size_t{64} << 10;     // the merged settings object
inline constexpr size_t kMaxPageContentBytes = size_t{1} << 20;   // a page's content array
// One event's encoded envelope: below Kafka's default message.max.bytes (1 MB),
// and what a reader of /events holds at once per event.
inline constexpr size_t kMaxEventBytes = size_t{512} << 10;
// As the gateway's body limit: JSON values of commands that do not come
// through HTTP get no deeper (recursive merge patches stay bounded).
inline constexpr int kMaxJsonDepth = 64;

// Storable text (API.md "Limits"): no Unicode control character (general
// category Cc: U+0000–U+001F, U+007F–U+009F) except tab, LF and CR. PostgreSQL
// refuses U+0000 in jsonb, XML 1.0 (sitemaps) refuses the rest of C0, and HTML
// counts every Cc but whitespace as a parse error, so none of them can be
// stored and shown as sent.
bool is_refused_control(uint32_t code_point);
// The first refused control character in UTF-8 text, if any (bytes that are
// not UTF-8 are someone else's error and skipped here).
std::optional<uint32_t> first_refused_control(std::string_view s);
// `s` made storable for a report of the system's own (a build log line, a
// failure reason): bytes that are not UTF-8 and refused control characters
// become U+FFFD, and text past `max_chars` code points is cut, ending in "…".
std::string storable_text(std::string_view s, size_t max_chars);

// A deployment report's log (DeploymentSucceeded/DeploymentFailed): at most
// this many lines of at most this many characters, and the reason as one line.
inline constexpr size_t kMaxReportLines = 200;
inline constexpr size_t kMaxReportLine = 2000;
inline constexpr size_t kMaxReportLogBytes = size_t{256} << 10;  // well below kMaxEventBytes
// A report log within those limits: each line storable_text, and what does not
// fit replaced by one "N more line(s) left out" line.
void fit_report_log(std::vector<std::string>& log);

// "must not contain control characters (found U+0000)".
std::string refused_control_message(uint32_t code_point);

struct RefusedText {
  std::string field;  // e.g. "settings.a.b", "log[3]"; a key is named by its own path
  uint32_t code_point = 0;
};
// The first string or object key in `value` holding a refused control
// character, with its path below `prefix` ("a.b", "items[2]"). Iterative, so
// any depth is safe.
std::optional<RefusedText> find_refused_control(const nlohmann::json& value,
                                                std::string_view prefix = "");

// The length of value.dump() (compact; strings valid UTF-8, as every parsed
// string is), computed without building it: the size limits are checked on
// hot paths.
size_t json_bytes(const nlohmann::json& value);
size_t json_string_bytes(std::string_view s);  // with its quotes and escapes

// Container levels of a JSON value (a scalar is 0, {} is 1). Iterative.
int json_depth(const nlohmann::json& value);

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
