#include "commands/content.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "commands/components.hpp"
#include "commands/schemas.hpp"
#include "commands/validation.hpp"
#include "events/hash_chain.hpp"


namespace pw::domain {
namespace {

using nlohmann::json;

class ContentCheck {
 public:
  explicit ContentCheck(const Schemas& schemas) : schemas_(schemas) {}

  void add(std::string field, std::string message) {
    if (details_.size() < kMaxContentDetails) details_.push_back({std::move(field), std::move(message)});
    else ++dropped_;
  }

  void list(std::vector<Component>& list, const std::string& path, int depth) {
    for (size_t i = 0; i < list.size(); ++i)
      component(list[i], path + "[" + std::to_string(i) + "]", depth);
  }

  void component(Component& c, const std::string& path, int depth) {
    ++count_;
    if (depth > kMaxTreeDepth) {
      add(path, "the tree is deeper than " + std::to_string(kMaxTreeDepth) + " levels");
      return;
    }
    if (!is_valid_component_id(c.id.value))
      add(path + ".id", "must match ^[A-Za-z0-9_-]{1,64}$");
    else if (!ids_.insert(c.id.value).second)
      add(path + ".id", "component ids must be unique in the page");
    if (!is_known_component_type(c.type)) {
      add(path + ".type", "unknown component type");
      return;
    }
    if (auto r = schemas_.validate_component_props(c.type, c.props); !r) {
      if (r.error().code == Errc::internal) internal_ = r.error();
      for (const auto& d : r.error().details) add(path + "." + d.field, d.message);
      return;
    }
    const auto want = component_slots(c.type, c.props);
    for (const auto& [name, children] : c.slots)
      if (std::find(want.begin(), want.end(), name) == want.end())
        add(path + ".slots." + name, c.type + " has no slot '" + name + "'");
    for (std::string_view name : want) c.slots.try_emplace(std::string(name));
    for (auto& [name, children] : c.slots) list(children, path + ".slots." + name, depth + 1);
  }

  Result<void> outcome(const std::vector<Component>& content, const std::string& prefix) {
    if (internal_) return *internal_;
    if (count_ > kMaxComponentsPerPage)
      add(prefix, "a page holds at most " + std::to_string(kMaxComponentsPerPage) + " components (this content: " +
                      std::to_string(count_) + ")");
    if (dropped_) details_.push_back({prefix, std::to_string(dropped_) + " more problem(s) not listed"});
    if (!details_.empty()) return make_error(Errc::unprocessable, "invalid content", std::move(details_));
    const size_t bytes = content_bytes(content);
    if (bytes > kMaxPageContentBytes)
      return make_error(Errc::payload_too_large, "content too large",
                        {{prefix, "the page's content would be " + std::to_string(bytes) +
                                      " bytes serialized; the limit is " + std::to_string(kMaxPageContentBytes)}});
    return {};
  }

 private:
  const Schemas& schemas_;
  std::vector<ErrorDetail> details_;
  size_t dropped_ = 0;
  size_t count_ = 0;
  std::set<std::string> ids_;
  std::optional<Error> internal_;
};

std::string fresh_id(std::string_view seed, const std::string& old) {
  return "c" + sha256_hex(std::string(seed) + "/" + old).substr(0, 15);
}

void refresh(std::vector<Component>& list, std::string_view seed) {
  for (auto& c : list) {
    c.id = ComponentId{fresh_id(seed, c.id.value)};
    for (auto& [name, children] : c.slots) refresh(children, seed);
  }
}

}  // namespace

Result<std::vector<Component>> checked_content(const Schemas& schemas, const json& content,
                                               const std::string& prefix) {
  // The shape comes from elsewhere (a template, a stored page), so a bad shape
  // is a domain refusal like the rest, not a malformed request.
  auto parsed = content_from_json(content, prefix);
  if (!parsed) return make_error(Errc::unprocessable, "invalid content", parsed.error().details);
  std::vector<Component> list = std::move(parsed).value();
  ContentCheck check(schemas);
  check.list(list, prefix, 1);
  if (auto r = check.outcome(list, prefix); !r) return r.error();
  return list;
}

std::vector<Component> with_fresh_ids(const std::vector<Component>& content, std::string_view seed) {
  std::vector<Component> out = content;
  refresh(out, seed);
  return out;
}

json with_fresh_ids(const json& content, std::string_view seed) {
  auto parsed = content_from_json(content);
  if (!parsed) return content;  // refused where it is checked, with its details
  return content_to_json(with_fresh_ids(*parsed, seed));
}

// ---------------------------------------------------------------------------
// Design tokens

namespace {

// The schema, and for each group the longest string a value may be (checked
// before valijson, whose std::regex recurses per character: a long enough
// value would overflow the stack before maxLength is reported).
struct TokenSchema {
  std::unique_ptr<valijson::Schema> schema;
  std::map<std::string, std::map<std::string, int64_t>> max_lengths;  // group → name ("" = any) → max
};

// Longest allowed name of a token (the schema's ^[a-z][a-z0-9-]{0,40}$).
constexpr size_t kMaxTokenName = 41;

int64_t max_length_of(const json& doc, const json& spec) {
  const json* s = &spec;
  if (s->contains("$ref") && (*s)["$ref"].is_string()) {
    const std::string ref = (*s)["$ref"];
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) == 0 && doc.contains("definitions") && doc["definitions"].contains(ref.substr(prefix.size())))
      s = &doc["definitions"][ref.substr(prefix.size())];
  }
  if (s->contains("maxLength") && (*s)["maxLength"].is_number_integer()) return (*s)["maxLength"].get<int64_t>();
  return -1;
}

Result<TokenSchema> load_token_schema(const std::filesystem::path& dir) {
  TokenSchema ts;
  const std::filesystem::path path = dir / "design-tokens.json";
  try {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open");
    json doc = json::parse(in);
    ts.schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *ts.schema);
    static const json kNone = json::object();
    auto member = [](const json& j, const char* key) -> const json& {
      auto it = j.find(key);
      return it != j.end() && it->is_object() ? *it : kNone;
    };
    for (const auto& [group, spec] : member(doc, "properties").items()) {
      if (!spec.is_object()) continue;
      auto& limits = ts.max_lengths[group];
      if (spec.contains("maxLength")) limits[""] = max_length_of(doc, spec);
      for (const auto& [name, s] : member(spec, "properties").items()) limits[name] = max_length_of(doc, s);
      for (const auto& [pattern, s] : member(spec, "patternProperties").items()) limits[""] = max_length_of(doc, s);
    }
  } catch (const std::exception& e) {
    return make_error(Errc::internal, "design tokens schema " + path.string() + ": " + e.what());
  }
  return ts;
}

std::string shown_name(std::string_view name) {
  if (name.size() <= 48) return std::string(name);
  std::string cut(name.substr(0, 48));
  while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xc0) == 0x80) cut.pop_back();
  if (!cut.empty() && static_cast<unsigned char>(cut.back()) >= 0xc0) cut.pop_back();
  return cut + "…";
}

std::string quoted_tail(const std::string& s) {
  auto end = s.rfind('\'');
  if (end == std::string::npos || end == 0) return {};
  auto begin = s.rfind('\'', end - 1);
  return begin == std::string::npos ? std::string() : s.substr(begin + 1, end - begin - 1);
}

// Values too long for any pattern to see: reported here and left out of what
// valijson reads.
void take_overlong(const TokenSchema& ts, json& tokens, std::vector<ErrorDetail>& out) {
  for (auto& [group, members] : tokens.items()) {
    if (group.size() > kMaxTokenName) continue;  // an unknown group: valijson names it
    auto limits = ts.max_lengths.find(group);
    if (limits == ts.max_lengths.end()) continue;
    if (members.is_string()) {
      auto any = limits->second.find("");
      if (any != limits->second.end() && any->second >= 0 &&
          utf8_length(members.get_ref<const std::string&>()) > any->second) {
        out.push_back({group, "must be at most " + std::to_string(any->second) + " characters"});
        members = "";
      }
      continue;
    }
    if (!members.is_object()) continue;
    std::vector<std::string> drop;
    for (auto& [name, value] : members.items()) {
      if (name.size() > kMaxTokenName) {
        out.push_back({group + "." + shown_name(name), "unknown token name: names match ^[a-z][a-z0-9-]{0,40}$"});
        drop.push_back(name);
        continue;
      }
      if (!value.is_string()) continue;
      auto it = limits->second.find(name);
      if (it == limits->second.end()) it = limits->second.find("");
      if (it == limits->second.end() || it->second < 0) continue;
      if (utf8_length(value.get_ref<const std::string&>()) > it->second) {
        out.push_back({group + "." + name, "must be at most " + std::to_string(it->second) + " characters"});
        drop.push_back(name);
      }
    }
    for (const auto& name : drop) members.erase(name);
  }
  for (auto it = tokens.begin(); it != tokens.end();)
    if (it.key().size() > kMaxTokenName) {
      out.push_back({shown_name(it.key()), "unknown field"});
      it = tokens.erase(it);
    } else {
      ++it;
    }
}

constexpr std::string_view kUnknownField = "unknown field";
constexpr std::string_view kUnknownName = "unknown token name: names match ^[a-z][a-z0-9-]{0,40}$";

// What a value at `field` must look like (schemas/design-tokens.json), for a
// message better than "Failed to match regex".
std::string expected_format(const std::string& field) {
  const std::string group = field.substr(0, field.find('.'));
  const std::string name = field.find('.') == std::string::npos ? "" : field.substr(field.find('.') + 1);
  if (group == "theme") return "must name a built-in theme: classic, modern or dark";
  if (group == "colors") return "must be a hex colour: #rgb, #rrggbb or #rrggbbaa";
  if (group == "typography" && (name == "body" || name == "heading"))
    return "must be font family names separated by commas (letters, digits, spaces, '-')";
  if (group == "typography" && name == "scale") return "must be a number from 1 to 2 (at most 3 decimals)";
  if (group == "typography" && name == "line-height") return "must be a number from 1 to 3 (at most 2 decimals)";
  if (group == "typography" && name == "heading-weight") return "must be 100, 200, … or 900";
  return "must be a length: 0, or a number with px, rem, em, %, vw, vh or ch";
}

void schema_details(const valijson::ValidationResults& results, std::vector<ErrorDetail>& out) {
  for (const auto& e : results) {
    std::string field;
    for (size_t i = 1; i < e.context.size(); ++i) {
      std::string_view c = e.context[i];
      if (c.size() >= 2 && c.front() == '[' && c.back() == ']') c = c.substr(1, c.size() - 2);
      if (!field.empty()) field += '.';
      field += c;
    }
    std::string message = e.description;
    if (message.rfind("Failed to validate against schema associated with", 0) == 0) continue;
    if (message.find("'additionalProperties'") != std::string::npos) {
      std::string name = quoted_tail(message);
      field = field.empty() ? name : field + "." + name;
      message = field.find('.') == std::string::npos ? kUnknownField : kUnknownName;
    } else if (message.find("'pattern'") != std::string::npos || message.find("enum") != std::string::npos) {
      message = expected_format(field);
    }
    if (field.empty()) field = "tokens";
    out.push_back({std::move(field), std::move(message)});
  }
}

}  // namespace

struct Schemas::Tokens {
  TokenSchema schema;
};

Result<std::shared_ptr<const Schemas::Tokens>> Schemas::load_tokens(const std::filesystem::path& dir) {
  auto loaded = load_token_schema(dir);
  if (!loaded.ok()) return loaded.error();
  return std::make_shared<const Tokens>(Tokens{std::move(loaded).value()});
}

Result<void> Schemas::validate_design_tokens(const json& tokens) const {
  if (!tokens.is_object()) return make_error(Errc::unprocessable, "invalid design tokens", {{"tokens", "must be an object"}});
  const TokenSchema& ts = tokens_->schema;
  std::vector<ErrorDetail> found;
  json checked = tokens;
  take_overlong(ts, checked, found);
  thread_local valijson::Validator validator;
  auto check = [&](const json& doc) {
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    if (validator.validate(*ts.schema, adapter, nullptr)) return;
    valijson::ValidationResults results;
    (void)validator.validate(*ts.schema, adapter, &results);
    schema_details(results, found);
  };
  check(checked);
  // valijson stops at the first failing member of a group's patternProperties,
  // so each token is also checked on its own: every invalid value is named.
  for (const auto& [group, members] : checked.items())
    if (members.is_object() && members.size() > 1)
      for (const auto& [name, value] : members.items()) check(json{{group, {{name, value}}}});
  if (found.empty()) return {};
  // One entry per field: its first reason, unless that was only valijson's
  // "no schema took this member" for a name whose value failed its pattern.
  std::vector<ErrorDetail> details;
  std::map<std::string, size_t> at;
  for (auto& d : found) {
    auto [it, fresh] = at.try_emplace(d.field, details.size());
    if (fresh)
      details.push_back(std::move(d));
    else if (details[it->second].message == kUnknownName && d.message != kUnknownName)
      details[it->second].message = std::move(d.message);
  }
  if (details.size() > kMaxContentDetails) {
    const size_t more = details.size() - kMaxContentDetails;
    details.resize(kMaxContentDetails);
    details.push_back({"tokens", std::to_string(more) + " more problem(s) not listed"});
  }
  return make_error(Errc::unprocessable, "invalid design tokens", std::move(details));
}

}  // namespace pw::domain
