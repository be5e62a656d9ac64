#include "gateway/api_json.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "commands/validation.hpp"

namespace pw::gateway {

namespace {

using nlohmann::json;

// A SAX handler that builds the DOM like nlohmann's own json_sax_dom_parser,
// and additionally stops at the first container deeper than kMaxDepth and at
// the first repeated key of an object. nlohmann's parser is iterative, so the
// only recursion a hostile body could drive is ours, and we have none.
class BodySax {
 public:
  explicit BodySax(int max_depth) : max_depth_(max_depth) {}
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(number_integer_t v) { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(json(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) { return put(json(v)); }
  bool string(string_t& v) {
    if (auto cp = domain::first_refused_control(v)) return refuse(value_path(), *cp);
    return put(json(std::move(v)));
  }
  bool binary(binary_t& v) { return put(json::binary(std::move(v))); }

  bool start_object(std::size_t /*elements*/) { return open(json::object()); }
  bool start_array(std::size_t /*elements*/) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    json& obj = *stack_.back();
    if (auto cp = domain::first_refused_control(k)) return refuse(member_path(k), *cp);
    if (obj.contains(k)) {
      error_ = make_error(Errc::validation_error, "request body has a duplicate key",
                          {{member_path(k), "duplicate key"}});
      return false;
    }
    slot_ = &obj[k];
    key_ = k;
    awaiting_value_ = true;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at ...: <reason>; last read: '<token>'"
    if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    if (auto p = what.find("; last read:"); p != std::string::npos) what.erase(p);
    // The reason is ASCII in practice; make sure of it, and keep it short.
    for (char& c : what) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7F) c = '?';
    }
    if (what.size() > 200) what.resize(200);
    // A string that is not text (bad UTF-8, a lone surrogate, a raw control
    // character) is named by its field, as a refused character would be; any
    // other syntax error belongs to the body as a whole.
    const bool bad_string = what.find("invalid string") != std::string::npos;
    error_ = make_error(Errc::validation_error, "request body is not valid JSON",
                        {{bad_string ? string_path() : std::string("body"),
                          "malformed JSON at byte " + std::to_string(position) + ": " + what}});
    return false;
  }

  json root;
  std::optional<Error> error_;
  int max_depth_ = kMaxDepth;

 private:
  // Stores a finished value where the parser currently is; returns its address.
  json* place(json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }

  bool put(json&& v) {
    awaiting_value_ = false;
    place(std::move(v));
    return true;
  }

  bool open(json&& container) {
    if (stack_.size() >= static_cast<std::size_t>(max_depth_)) {
      error_ = make_error(Errc::validation_error, "request body is nested too deeply",
                          {{"body", "JSON nested deeper than " + std::to_string(max_depth_) + " levels"}});
      return false;
    }
    awaiting_value_ = false;
    stack_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  // The path of the innermost open container, e.g. "seo" or "items[2].props"
  // (empty for the body itself). Only computed on the error path.
  std::string path() const {
    std::string out;
    for (std::size_t i = 1; i < stack_.size(); ++i) {
      const json& parent = *stack_[i - 1];
      const json* child = stack_[i];
      if (parent.is_array()) {
        for (std::size_t n = 0; n < parent.size(); ++n) {
          if (&parent[n] == child) {
            out += "[" + std::to_string(n) + "]";
            break;
          }
        }
      } else {
        for (auto it = parent.begin(); it != parent.end(); ++it) {
          if (&*it == child) {
            if (!out.empty()) out += ".";
            out += it.key();
            break;
          }
        }
      }
    }
    return out;
  }

  std::string member_path(const std::string& k) const {
    std::string field = path();
    field += field.empty() ? k : "." + k;
    return field;
  }

  // The path of the value the parser is at: the member under the last key, or
  // the next element of the innermost array.
  // Where a string that failed to parse stands: the value after a key, an
  // element of an array, or a key of the innermost object.
  std::string string_path() const {
    if (stack_.empty() || awaiting_value_ || stack_.back()->is_array()) return value_path();
    const std::string object = path();
    return object.empty() ? "body" : object;
  }
  std::string value_path() const {
    if (stack_.empty()) return "body";
    const json& parent = *stack_.back();
    if (parent.is_array()) return path() + "[" + std::to_string(parent.size()) + "]";
    return member_path(key_);
  }

  bool refuse(std::string field, uint32_t code_point) {
    error_ = make_error(Errc::validation_error, "text holds a control character",
                        {{std::move(field), domain::refused_control_message(code_point)}});
    return false;
  }

  std::vector<json*> stack_;
  json* slot_ = nullptr;
  std::string key_;  // the key slot_ belongs to
  bool awaiting_value_ = false;  // key_ was read and its value was not yet
};

json meta(const std::string& request_id, const std::string& timestamp) {
  return json{{"requestId", request_id}, {"timestamp", timestamp}};
}

}  // namespace

Result<nlohmann::json> parse_body(std::string_view body, int max_depth) {
  if (body.size() > kMaxBodyBytes) {
    return make_error(Errc::payload_too_large,
                      "request body exceeds " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (body.empty()) {
    return make_error(Errc::validation_error, "request body is not valid JSON",
                      {{"body", "malformed JSON at byte 0: the body is empty; expected a JSON object"}});
  }
  BodySax sax(max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(body.begin(), body.end(), &sax, json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception&) {
    // The handler never throws and parse errors are reported to it; anything
    // else (e.g. allocation failure) still must not escape as a crash.
    return make_error(Errc::validation_error, "request body is not valid JSON",
                      {{"body", "malformed JSON"}});
  }
  if (!ok || sax.error_) {
    if (sax.error_) return *std::move(sax.error_);
    return make_error(Errc::validation_error, "request body is not valid JSON",
                      {{"body", "malformed JSON"}});
  }
  if (!sax.root.is_object()) {
    return make_error(Errc::validation_error, "request body must be a JSON object",
                      {{"body", std::string("expected a JSON object, got ") + sax.root.type_name()}});
  }
  return std::move(sax.root);
}

nlohmann::json success_envelope(nlohmann::json data, const std::string& request_id,
                                const std::string& timestamp) {
  nlohmann::json out = nlohmann::json::object();
  out["success"] = true;
  out["data"] = std::move(data);
  out["meta"] = meta(request_id, timestamp);
  return out;
}

nlohmann::json success_envelope(nlohmann::json data, const Pagination& pagination,
                                const std::string& request_id, const std::string& timestamp) {
  nlohmann::json out = success_envelope(std::move(data), request_id, timestamp);
  out["pagination"] = nlohmann::json{
      {"limit", pagination.limit},
      {"nextCursor", pagination.next_cursor ? nlohmann::json(*pagination.next_cursor)
                                            : nlohmann::json(nullptr)}};
  return out;
}

nlohmann::json error_envelope(const Error& error, const std::string& request_id,
                              const std::string& timestamp) {
  nlohmann::json details = nlohmann::json::array();
  for (const ErrorDetail& d : error.details) {
    details.push_back(nlohmann::json{{"field", d.field}, {"message", d.message}});
  }
  nlohmann::json out = nlohmann::json::object();
  out["success"] = false;
  out["error"] = nlohmann::json{
      {"code", errc_code(error.code)}, {"message", error.message}, {"details", std::move(details)}};
  out["meta"] = meta(request_id, timestamp);
  return out;
}

int http_status(const Error& error) { return errc_http_status(error.code); }

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<void> reject_unknown_fields(const nlohmann::json& object,
                                   std::initializer_list<std::string_view> allowed,
                                   std::string_view prefix) {
  if (!object.is_object()) {
    return make_error(Errc::validation_error, "expected a JSON object",
                      {{prefix.empty() ? std::string("body") : std::string(prefix), "must be an object"}});
  }
  std::vector<ErrorDetail> details;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& k = it.key();
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) != allowed.end()) continue;
    std::string field = prefix.empty() ? k : std::string(prefix) + "." + k;
    details.push_back({std::move(field), "unknown field"});
  }
  if (details.empty()) return {};
  return make_error(Errc::validation_error,
                    details.size() == 1 ? "unknown field" : "unknown fields", std::move(details));
}

}  // namespace pw::gateway
