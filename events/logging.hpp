#pragma once
// Structured logs: one JSON object per line on stderr, from every role.
//   {"ts":"2026-12-07T01:02:03.456789Z","level":"info","role":"gateway","msg":"request",
//    "request_id":"…","tenant":"…","route":"create_page","status":201,"duration_ms":3.1}
// Every line leaves through one sink, which redacts secrets (bearer tokens,
// JWTs, passwords in connection strings, Authorization and Cookie values,
// registered secrets) whatever the caller passed. spdlog and the JSON writing
// stay in logging.cpp; callers see only this narrow API.
//
// A disabled level costs one relaxed atomic load: callers that would build
// strings for a line at debug ask enabled() first.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pw::logging {

enum class Level : int { trace = 0, debug, info, warn, error, off };

std::optional<Level> parse_level(std::string_view name);  // trace|debug|info|warn|error|off
std::string_view level_name(Level level);

// One field of a line. Text is copied (and redacted) when the line is written,
// so views of temporaries are fine within the call's full expression.
struct Field {
  enum class Kind { text, integer, real, boolean };
  std::string_view key;
  Kind kind = Kind::text;
  std::string_view text;
  int64_t integer = 0;
  double real = 0;

  Field(std::string_view k, std::string_view v) : key(k), text(v) {}
  Field(std::string_view k, const std::string& v) : key(k), text(v) {}
  Field(std::string_view k, const char* v) : key(k), text(v ? v : "") {}
  Field(std::string_view k, bool v) : key(k), kind(Kind::boolean), integer(v ? 1 : 0) {}
  Field(std::string_view k, double v) : key(k), kind(Kind::real), real(v) {}
  template <typename I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
  Field(std::string_view k, I v) : key(k), kind(Kind::integer), integer(static_cast<int64_t>(v)) {}
};

// The field names that follow one edit from the HTTP request to the site it
// builds: grep a request id and every role's lines about it come up.
inline constexpr std::string_view kRequestId = "request_id";
inline constexpr std::string_view kTenant = "tenant";
inline constexpr std::string_view kCommandId = "command_id";
inline constexpr std::string_view kCorrelationId = "correlation_id";

namespace detail {
inline std::atomic<int> threshold{static_cast<int>(Level::info)};
void emit(Level level, std::string_view msg, std::initializer_list<Field> fields);
}  // namespace detail

// The process's role ("gateway", "worker-commands", …) and level; lines before
// this go out with role "pagewright" at info.
void configure(std::string role, Level level);
Level level();

inline bool enabled(Level level) {
  return static_cast<int>(level) >= detail::threshold.load(std::memory_order_relaxed) && level != Level::off;
}

inline void log(Level level, std::string_view msg, std::initializer_list<Field> fields = {}) {
  if (enabled(level)) detail::emit(level, msg, fields);
}
inline void trace(std::string_view msg, std::initializer_list<Field> fields = {}) { log(Level::trace, msg, fields); }
inline void debug(std::string_view msg, std::initializer_list<Field> fields = {}) { log(Level::debug, msg, fields); }
inline void info(std::string_view msg, std::initializer_list<Field> fields = {}) { log(Level::info, msg, fields); }
inline void warn(std::string_view msg, std::initializer_list<Field> fields = {}) { log(Level::warn, msg, fields); }
inline void error(std::string_view msg, std::initializer_list<Field> fields = {}) { log(Level::error, msg, fields); }

// A value that must never appear in a line (the JWT secret, a database
// password): replaced wherever it shows up. Values shorter than 4 bytes are
// ignored (they would blank out ordinary words).
void add_secret(std::string_view secret);
// The password of a libpq connection string (URI or key=value form) as a
// secret, so a server's error message that echoes it cannot leak it either.
void add_connection_secret(std::string_view conninfo);

// What the sink writes instead of `text`: secrets replaced by "[redacted]".
// `key` is the field's name; a field named like a secret is redacted whole.
std::string redact(std::string_view text, std::string_view key = {});

// Tests: lines go to `sink` (formatted, redacted, without the newline)
// instead of stderr; an empty function restores stderr.
void capture_for_tests(std::function<void(std::string_view line)> sink);

}  // namespace pw::logging
