#include "commands/components.hpp"

#include "commands/markdown_limits.hpp"
#include "commands/validation.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#ifndef PW_SCHEMA_DIR
#error "PW_SCHEMA_DIR must name the schemas directory"
#endif

namespace pw::domain {
namespace {

constexpr std::array<std::string_view, 9> kTypes{"Section", "Columns", "Heading", "Text",  "Image",
                                                 "Button",  "Hero",    "Card",    "Spacer"};
constexpr std::array<std::string_view, 1> kSectionSlots{"children"};
constexpr std::array<std::string_view, 4> kColumnSlots{"column1", "column2", "column3", "column4"};

struct UrlProps {
  std::string_view type;
  std::array<std::string_view, 2> props;
};
// Schema patterns cannot robustly tell safe from unsafe URLs, so these are
// checked in code as well.
constexpr std::array<UrlProps, 4> kUrlProps{{
    {"Image", {"src", {}}},
    {"Button", {"href", {}}},
    {"Hero", {"image", "ctaHref"}},
    {"Card", {"image", "href"}},
}};

struct MarkdownProp {
  std::string_view type;
  std::string_view prop;
};
// The props the renderer turns into HTML through the Markdown parser.
constexpr std::array<MarkdownProp, 2> kMarkdownProps{{{"Text", "text"}, {"Card", "body"}}};

int type_index(std::string_view type) {
  auto it = std::find(kTypes.begin(), kTypes.end(), type);
  return it == kTypes.end() ? -1 : static_cast<int>(it - kTypes.begin());
}

// A top-level string prop's maxLength, checked before valijson runs: valijson
// matches `pattern` with std::regex, whose matcher recurses once per character,
// so a long enough string (64 KiB) exhausts the stack before maxLength is
// reported. With the length checked first, no pattern sees a long string.
struct MaxLength {
  std::string prop;
  int64_t max = 0;
};

struct Registry {
  std::array<std::unique_ptr<valijson::Schema>, kTypes.size()> schemas;
  std::array<std::vector<MaxLength>, kTypes.size()> max_lengths;
  std::string error;  // non-empty: the library is unusable
};

Registry load_registry() {
  Registry reg;
  const char* env = std::getenv("PW_SCHEMA_DIR");  // NOLINT(concurrency-mt-unsafe): once
  std::filesystem::path dir = (env && *env) ? env : PW_SCHEMA_DIR;
  dir /= "components";
  for (size_t i = 0; i < kTypes.size(); ++i) {
    auto path = dir / (std::string(kTypes[i]) + ".json");
    try {
      std::ifstream in(path);
      if (!in) throw std::runtime_error("cannot open");
      nlohmann::json doc = nlohmann::json::parse(in);
      auto schema = std::make_unique<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(doc);
      parser.populateSchema(adapter, *schema);
      reg.schemas[i] = std::move(schema);
      if (doc.contains("properties") && doc["properties"].is_object())
        for (const auto& [prop, spec] : doc["properties"].items())
          if (spec.is_object() && spec.contains("maxLength") && spec["maxLength"].is_number_integer())
            reg.max_lengths[i].push_back({prop, spec["maxLength"].get<int64_t>()});
    } catch (const std::exception& e) {
      reg.error = "component schema " + path.string() + ": " + e.what();
      return reg;
    }
  }
  return reg;
}

const Registry& registry() {
  static const Registry reg = load_registry();
  return reg;
}

// valijson reports a property as a context element "[name]".
std::string field_of(const std::vector<std::string>& context) {
  std::string f = "props";
  for (size_t i = 1; i < context.size(); ++i) {
    std::string_view c = context[i];
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') c = c.substr(1, c.size() - 2);
    f += '.';
    f += c;
  }
  return f;
}

// The quoted name at the end of a valijson message ("… 'name'.").
std::string quoted_tail(const std::string& s) {
  auto end = s.rfind('\'');
  if (end == std::string::npos || end == 0) return {};
  auto begin = s.rfind('\'', end - 1);
  return begin == std::string::npos ? std::string() : s.substr(begin + 1, end - begin - 1);
}

std::vector<ErrorDetail> details_of(const valijson::ValidationResults& results) {
  std::vector<ErrorDetail> out;
  for (const auto& e : results) {
    std::string field = field_of(e.context);
    std::string message = e.description;
    if (message.rfind("Failed to validate against schema associated with property", 0) == 0)
      continue;  // a summary of a child error that is reported on its own
    if (message.rfind("Missing required property", 0) == 0) {
      field += "." + quoted_tail(message);
      message = "is required";
    } else if (message.find("'additionalProperties'") != std::string::npos) {
      field += "." + quoted_tail(message);
      message = "unknown property";
    }
    ErrorDetail d{std::move(field), std::move(message)};
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  return out;
}

bool iequals_prefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::span<const std::string_view> component_types() { return kTypes; }

bool is_known_component_type(std::string_view type) { return type_index(type) >= 0; }

std::span<const std::string_view> component_slots(std::string_view type,
                                                  const nlohmann::json& props) {
  if (type == "Section") return kSectionSlots;
  if (type == "Columns") {
    int64_t count = 0;
    if (auto it = props.find("count"); it != props.end() && it->is_number_integer())
      count = std::clamp<int64_t>(it->get<int64_t>(), 0, kColumnSlots.size());
    return std::span<const std::string_view>(kColumnSlots).first(static_cast<size_t>(count));
  }
  return {};
}

bool has_slot(std::string_view type, const nlohmann::json& props, std::string_view slot) {
  auto slots = component_slots(type, props);
  return std::find(slots.begin(), slots.end(), slot) != slots.end();
}

bool is_safe_url(std::string_view url) {
  // Browsers skip leading spaces/controls and drop tabs and newlines anywhere,
  // so "\tjava\nscript:" is a javascript: URL; refuse every control character.
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f) return false;
  while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
  if (url.empty()) return false;
  // A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" before any of "/?#".
  size_t i = 0;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(url[0])) return true;  // "/x", "./x", "../x", "#x", "?x": relative
  while (i < url.size() && (alpha(url[i]) || (url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
                            url[i] == '-' || url[i] == '.'))
    ++i;
  if (i == url.size() || url[i] != ':') return true;  // a relative path such as "about/team"
  for (std::string_view ok : {"http:", "https:", "mailto:", "tel:"})
    if (i + 1 == ok.size() && iequals_prefix(url, ok)) return true;
  return false;
}

Result<void> validate_component_props(std::string_view type, const nlohmann::json& props) {
  int idx = type_index(type);
  if (idx < 0)
    return make_error(Errc::unprocessable, "unknown component type",
                      {{"type", "unknown component type"}});
  if (!props.is_object())
    return make_error(Errc::unprocessable, "invalid props", {{"props", "must be an object"}});
  const Registry& reg = registry();
  if (!reg.error.empty()) return make_error(Errc::internal, reg.error);
  const valijson::Schema& schema = *reg.schemas[static_cast<size_t>(idx)];

  for (const MaxLength& m : reg.max_lengths[static_cast<size_t>(idx)]) {
    auto it = props.find(m.prop);
    if (it == props.end() || !it->is_string()) continue;
    if (utf8_length(it->get_ref<const std::string&>()) > m.max)
      return make_error(Errc::unprocessable, "props do not match the " + std::string(type) + " schema",
                        {{"props." + m.prop, "must be at most " + std::to_string(m.max) + " characters"}});
  }
  // Validator caches compiled regexes and is not thread-safe: one per thread.
  thread_local valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter adapter(props);
  if (!validator.validate(schema, adapter, nullptr)) {
    valijson::ValidationResults results;  // second pass only to explain the failure
    (void)validator.validate(schema, adapter, &results);
    auto details = details_of(results);
    if (details.empty()) details.push_back({"props", "invalid"});
    return make_error(Errc::unprocessable,
                      "props do not match the " + std::string(type) + " schema",
                      std::move(details));
  }
  for (const auto& u : kUrlProps) {
    if (u.type != type) continue;
    for (std::string_view name : u.props) {
      if (name.empty()) continue;
      auto it = props.find(name);
      if (it != props.end() && it->is_string() && !is_safe_url(it->get_ref<const std::string&>()))
        return make_error(
            Errc::unprocessable, "unsafe URL",
            {{"props." + std::string(name), "must be an http(s), relative, mailto: or tel: URL"}});
    }
  }
  for (const auto& m : kMarkdownProps) {
    if (m.type != type) continue;
    auto it = props.find(m.prop);
    if (it == props.end() || !it->is_string()) continue;
    const auto& text = it->get_ref<const std::string&>();
    if (markdown_tables_within_limits(text)) continue;
    const MarkdownTableExtent extent = markdown_table_extent(text);
    return make_error(Errc::unprocessable, "Markdown tables too large",
                      {{"props." + std::string(m.prop),
                        "Markdown tables may have at most " + std::to_string(kMaxTableColumns) +
                            " columns and " + std::to_string(kMaxTableCells) +
                            " cells in all (this text: " + std::to_string(extent.max_columns) +
                            " columns, " + std::to_string(extent.cells) + " cells)"}});
  }
  return {};
}

// Every slot the type has with some props: Columns' slots with count at its largest.
std::span<const std::string_view> component_slot_names(std::string_view type) {
  if (type == "Columns") return kColumnSlots;
  return component_slots(type, nlohmann::json::object());
}

}  // namespace pw::domain
