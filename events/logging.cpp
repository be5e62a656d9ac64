#include "events/logging.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

namespace pw::logging {
namespace {

constexpr std::string_view kRedacted = "[redacted]";

// The one sink every line leaves through: stderr, or a test's capture.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void capture(std::function<void(std::string_view)> f) {
    std::lock_guard<std::mutex> lock(base_sink<std::mutex>::mutex_);
    capture_ = std::move(f);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (capture_) {
      std::string_view text(line.data(), line.size());
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      capture_(text);
      return;
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  std::function<void(std::string_view)> capture_;
};

struct State {
  std::shared_ptr<LineSink> sink = std::make_shared<LineSink>();
  std::shared_ptr<spdlog::logger> logger;
  std::shared_mutex mutex;  // guards role and secrets
  std::string role = "pagewright";
  std::vector<std::string> secrets;

  State() {
    // ts from spdlog's clock in UTC; the rest of the object is ours.
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "{\"ts\":\"%Y-%m-%dT%H:%M:%S.%fZ\",%v}", spdlog::pattern_time_type::utc));
    logger = std::make_shared<spdlog::logger>("pagewright", sink);
    logger->set_level(spdlog::level::trace);  // our threshold filters first
    logger->flush_on(spdlog::level::trace);   // a line is out before a crash
  }
};

// Never destroyed: a client library's thread may still log while the
// process exits.
State& state() {
  static State* s = new State;
  return *s;
}

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  append_escaped(out, s);
  out += '"';
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool is_b64url(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '=' || c == '+' ||
         c == '/' || c == '%';
}

// Names whose value is a secret, as a field key or as `name=value`,
// `name: value`, `"name":"value"` inside text. Header-like names take the
// whole rest of the value (a cookie has spaces and semicolons).
struct SecretName {
  std::string_view name;
  bool whole_value;
};
constexpr std::array<SecretName, 17> kSecretNames{{
    {"authorization", true}, {"cookie", true},       {"password", false},      {"passwd", false},
    {"pwd", false},          {"secret", false},      {"token", false},         {"jwt", false},
    {"api_key", false},      {"apikey", false},      {"api-key", false},       {"session", false},
    {"bearer", false},       {"credential", false},  {"private_key", false},   {"signature", false},
    {"sslpassword", false},
}};

bool key_is_secret(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), lower);
  for (const auto& n : kSecretNames)
    if (k.find(n.name) != std::string::npos) return true;
  return false;
}

// Replaces [from, to) of `s` by the marker; returns where scanning resumes.
size_t blank(std::string& s, size_t from, size_t to) {
  if (to <= from) return from;
  s.replace(from, to - from, kRedacted);
  return from + kRedacted.size();
}

// Registered secrets, verbatim.
void redact_known(std::string& s, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets)
    for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at))
      at = blank(s, at, at + secret.size());
}

// Anything shaped like a JWT (base64url JSON header "eyJ…"), whole or cut short.
void redact_jwts(std::string& s) {
  for (size_t at = s.find("eyJ"); at != std::string::npos; at = s.find("eyJ", at)) {
    size_t end = at;
    while (end < s.size() && is_b64url(s[end])) ++end;
    if (end - at >= 8 && (at == 0 || !std::isalnum(static_cast<unsigned char>(s[at - 1]))))
      at = blank(s, at, end);
    else
      at = end;
  }
}

// scheme://user:password@host → scheme://user:[redacted]@host
void redact_uri_passwords(std::string& s) {
  for (size_t at = s.find("://"); at != std::string::npos; at = s.find("://", at)) {
    const size_t start = at + 3;
    // The authority ends at the path, the query, or the end of the word; a
    // password may hold '/' or '@' unescaped, so the last '@' before a space wins.
    size_t word_end = start;
    while (word_end < s.size() && !std::isspace(static_cast<unsigned char>(s[word_end])) && s[word_end] != '"' &&
           s[word_end] != '\'' && s[word_end] != '>')
      ++word_end;
    const size_t atsign = s.rfind('@', word_end == 0 ? 0 : word_end - 1);
    if (atsign == std::string::npos || atsign < start) {
      at = start;
      continue;
    }
    const size_t colon = s.find(':', start);
    if (colon != std::string::npos && colon < atsign)
      at = blank(s, colon + 1, atsign) + 1;
    else
      at = atsign + 1;
  }
}

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// name=value, name: value, "name":"value", name='value', and "Bearer x".
void redact_named_values(std::string& s) {
  std::string low(s);
  std::transform(low.begin(), low.end(), low.begin(), lower);
  struct Span {
    size_t from, to;
  };
  std::vector<Span> spans;
  for (const auto& n : kSecretNames) {
    for (size_t at = low.find(n.name); at != std::string::npos; at = low.find(n.name, at + 1)) {
      size_t i = at + n.name.size();
      // The rest of a longer name (access_token, pw_jwt_secret, set-cookie) is
      // part of it; the name must then reach its separator.
      while (i < low.size() && name_char(low[i])) ++i;
      size_t j = i;
      while (j < low.size() && (low[j] == '"' || low[j] == '\'' || low[j] == ' ')) ++j;
      const bool bearer = n.name == "bearer";
      if (bearer) {
        // "Bearer <token>", also as %20 or + in a query string.
        if (i != at + n.name.size()) continue;
        size_t k = i;
        if (low.compare(k, 3, "%20") == 0) k += 3;
        else if (k < low.size() && (low[k] == ' ' || low[k] == '+')) ++k;
        else continue;
        while (k < low.size() && low[k] == ' ') ++k;
        size_t end = k;
        while (end < low.size() && !std::isspace(static_cast<unsigned char>(low[end])) && low[end] != '"' &&
               low[end] != '\'' && low[end] != ',' && low[end] != '&' && low[end] != ';')
          ++end;
        if (end > k) spans.push_back({k, end});
        continue;
      }
      if (j >= low.size() || (low[j] != '=' && low[j] != ':')) continue;
      ++j;
      while (j < low.size() && (low[j] == ' ' || low[j] == '"' || low[j] == '\'')) ++j;
      const char quote = j > 0 && (low[j - 1] == '"' || low[j - 1] == '\'') ? low[j - 1] : '\0';
      size_t end = j;
      if (n.whole_value) {
        while (end < low.size() && low[end] != '\n' && low[end] != '\r' && (quote ? low[end] != quote : true)) ++end;
      } else {
        while (end < low.size() && (quote ? low[end] != quote
                                          : !std::isspace(static_cast<unsigned char>(low[end])) && low[end] != '&' &&
                                                low[end] != ';' && low[end] != ',' && low[end] != '"' &&
                                                low[end] != '\'' && low[end] != ')' && low[end] != '}'))
          ++end;
      }
      if (end > j) spans.push_back({j, end});
    }
  }
  if (spans.empty()) return;
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.from < b.from; });
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (const auto& sp : spans) {
    if (sp.to <= pos) continue;  // inside one already blanked
    const size_t from = std::max(sp.from, pos);
    out.append(s, pos, from - pos);
    out += kRedacted;
    pos = sp.to;
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// A named value (`name=value`, `name: value`, `Bearer x`) and a URI's
// password need a separator, which ids, route names and methods, the most of
// what is logged, never hold: those skip the two costly scans.
bool may_hold_named_secret(std::string_view s) { return s.find_first_of("=: +%\"'") != std::string_view::npos; }

void redact_text(std::string& text, const std::vector<std::string>& secrets) {
  redact_known(text, secrets);
  redact_jwts(text);
  if (!may_hold_named_secret(text)) return;
  redact_uri_passwords(text);
  redact_named_values(text);
}

// Ids not known (yet) are left out rather than written empty.
void append_field(std::string& out, const Field& f, const std::vector<std::string>& secrets) {
  if (f.kind == Field::Kind::text && f.text.empty() && f.key != "msg") return;
  out += ',';
  append_string(out, f.key);
  out += ':';
  switch (f.kind) {
    case Field::Kind::integer: out += std::to_string(f.integer); return;
    case Field::Kind::boolean: out += f.integer ? "true" : "false"; return;
    case Field::Kind::real: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", f.real);
      out += buf;
      return;
    }
    case Field::Kind::text: break;
  }
  if (key_is_secret(f.key)) return append_string(out, kRedacted);
  std::string text(f.text);
  redact_text(text, secrets);
  append_string(out, text);
}

spdlog::level::level_enum spd(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: break;
  }
  return spdlog::level::off;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
    if (name == level_name(l)) return l;
  return std::nullopt;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "off";
}

void configure(std::string role, Level level) {
  State& s = state();
  {
    std::unique_lock lock(s.mutex);
    s.role = std::move(role);
  }
  detail::threshold.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level level() { return static_cast<Level>(detail::threshold.load(std::memory_order_relaxed)); }

void add_secret(std::string_view secret) {
  if (secret.size() < 4) return;
  State& s = state();
  std::unique_lock lock(s.mutex);
  if (std::find(s.secrets.begin(), s.secrets.end(), secret) == s.secrets.end()) s.secrets.emplace_back(secret);
  // Longest first: a secret that contains another is blanked whole.
  std::sort(s.secrets.begin(), s.secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void add_connection_secret(std::string_view conninfo) {
  const size_t scheme = conninfo.find("://");
  if (scheme != std::string_view::npos) {
    std::string_view rest = conninfo.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of(" \t\n"));
    // The last '@' ends the user info: a password may hold an unescaped '@'.
    if (const size_t last_at = rest.rfind('@'); last_at != std::string_view::npos) {
      const std::string_view userinfo = rest.substr(0, last_at);
      if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos)
        add_secret(userinfo.substr(colon + 1));
    }
  }
  // key=value form: password=… or password='…'
  for (size_t at = conninfo.find("password"); at != std::string_view::npos; at = conninfo.find("password", at + 1)) {
    size_t i = at + 8;
    while (i < conninfo.size() && conninfo[i] == ' ') ++i;
    if (i >= conninfo.size() || conninfo[i] != '=') continue;
    ++i;
    while (i < conninfo.size() && conninfo[i] == ' ') ++i;
    size_t end = i;
    if (i < conninfo.size() && conninfo[i] == '\'') {
      end = conninfo.find('\'', ++i);
      if (end == std::string_view::npos) end = conninfo.size();
    } else {
      while (end < conninfo.size() && conninfo[end] != ' ' && conninfo[end] != '&') ++end;
    }
    add_secret(conninfo.substr(i, end - i));
  }
}

std::string redact(std::string_view text, std::string_view key) {
  if (!key.empty() && key_is_secret(key)) return std::string(kRedacted);
  State& s = state();
  std::string out(text);
  std::shared_lock lock(s.mutex);
  redact_text(out, s.secrets);
  return out;
}

void capture_for_tests(std::function<void(std::string_view line)> sink) { state().sink->capture(std::move(sink)); }

namespace detail {

void emit(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  State& s = state();
  std::string body;
  body.reserve(160 + msg.size());
  body += "\"level\":";
  append_string(body, level_name(level));
  {
    std::shared_lock lock(s.mutex);
    body += ",\"role\":";
    append_string(body, s.role);
    // The message passes the same redaction as a text field.
    append_field(body, Field("msg", msg), s.secrets);
    for (const auto& f : fields) append_field(body, f, s.secrets);
  }
  s.logger->log(spd(level), spdlog::string_view_t(body.data(), body.size()));
}

}  // namespace detail
}  // namespace pw::logging
