#include "commands/components.hpp"
#include "commands/schemas.hpp"
#include "commands/assets.hpp"

#include "commands/markdown_limits.hpp"
#include "commands/validation.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
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

constexpr std::array<std::string_view, 17> kTypes{
    "Section", "Columns", "Heading", "Text",  "Image",  "Button", "Hero",   "Card",   "Spacer",
    "Video",   "Gallery", "Quote",   "List",  "Faq",    "Navbar", "Footer", "Divider"};
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

// URL props inside the items of an array prop (Gallery.images[].src, …).
struct ItemUrlProp {
  std::string_view type, array, prop;
};
constexpr std::array<ItemUrlProp, 3> kItemUrlProps{{
    {"Gallery", "images", "src"},
    {"Navbar", "links", "href"},
    {"Footer", "links", "href"},
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool youtube_id(std::string_view id) {
  if (id.size() != 11) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool vimeo_id(std::string_view id) {
  return !id.empty() && id.size() <= 12 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The path segment after `prefix`, up to the next "/", "?" or "#".
std::optional<std::string_view> segment_after(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  return path.substr(0, path.find_first_of("/?#"));
}

// The value of `name` in a query string ("a=1&v=x").
std::string_view query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
  }
  return {};
}

}  // namespace

struct Schemas::Components {
  nlohmann::json documents = nlohmann::json::object();  // the schema files, keyed by type
  std::array<std::unique_ptr<valijson::Schema>, kTypes.size()> schemas;
  std::array<std::vector<MaxLength>, kTypes.size()> max_lengths;
};

Result<std::shared_ptr<const Schemas::Components>> Schemas::load_components(const std::filesystem::path& dir) {
  auto reg = std::make_shared<Components>();
  for (size_t i = 0; i < kTypes.size(); ++i) {
    auto path = dir / "components" / (std::string(kTypes[i]) + ".json");
    try {
      std::ifstream in(path);
      if (!in) throw std::runtime_error("cannot open");
      nlohmann::json doc = nlohmann::json::parse(in);
      auto schema = std::make_unique<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(doc);
      parser.populateSchema(adapter, *schema);
      reg->schemas[i] = std::move(schema);
      if (doc.contains("properties") && doc["properties"].is_object())
        for (const auto& [prop, spec] : doc["properties"].items())
          if (spec.is_object() && spec.contains("maxLength") && spec["maxLength"].is_number_integer())
            reg->max_lengths[i].push_back({prop, spec["maxLength"].get<int64_t>()});
      reg->documents[std::string(kTypes[i])] = std::move(doc);
    } catch (const std::exception& e) {
      return make_error(Errc::internal, "component schema " + path.string() + ": " + e.what());
    }
  }
  return std::shared_ptr<const Components>(std::move(reg));
}

Schemas::Schemas(std::shared_ptr<const Components> components, std::shared_ptr<const Tokens> tokens)
    : components_(std::move(components)), tokens_(std::move(tokens)) {}

Result<std::shared_ptr<const Schemas>> Schemas::load(const std::filesystem::path& dir) {
  auto components = load_components(dir);
  if (!components.ok()) return components.error();
  auto tokens = load_tokens(dir);
  if (!tokens.ok()) return tokens.error();
  return std::make_shared<const Schemas>(std::move(components).value(), std::move(tokens).value());
}

std::filesystem::path Schemas::default_dir() {
  const char* env = std::getenv("PW_SCHEMA_DIR");  // NOLINT(concurrency-mt-unsafe): at start
  return (env && *env) ? std::filesystem::path(env) : std::filesystem::path(PW_SCHEMA_DIR);
}

const nlohmann::json& Schemas::component_documents() const { return components_->documents; }

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

std::span<const std::string_view> component_all_slots(std::string_view type) {
  if (type == "Section") return kSectionSlots;
  if (type == "Columns") return kColumnSlots;
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

std::optional<VideoEmbed> video_embed(std::string_view url) {
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  if (iequals_prefix(url, "https://")) url.remove_prefix(8);
  else if (iequals_prefix(url, "http://")) url.remove_prefix(7);
  else return std::nullopt;
  const size_t host_end = std::min(url.find_first_of("/?#"), url.size());
  const std::string host = lower(url.substr(0, host_end));  // no userinfo or port: neither is a video's
  std::string_view rest = url.substr(host_end);
  std::string_view path = rest.substr(0, rest.find_first_of("?#"));
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) query = rest.substr(q + 1, rest.find('#', q) - q - 1);

  if (host == "youtube.com" || host == "www.youtube.com" || host == "m.youtube.com" ||
      host == "youtube-nocookie.com" || host == "www.youtube-nocookie.com") {
    std::string_view id;
    if (path == "/watch") id = query_value(query, "v");
    for (std::string_view prefix : {"/embed/", "/shorts/", "/live/"})
      if (auto s = segment_after(path, prefix)) id = *s;
    if (youtube_id(id)) return VideoEmbed{VideoEmbed::Host::youtube, std::string(id)};
  } else if (host == "youtu.be") {
    if (auto id = segment_after(path, "/"); id && youtube_id(*id))
      return VideoEmbed{VideoEmbed::Host::youtube, std::string(*id)};
  } else if (host == "vimeo.com" || host == "www.vimeo.com") {
    if (auto id = segment_after(path, "/"); id && vimeo_id(*id))
      return VideoEmbed{VideoEmbed::Host::vimeo, std::string(*id)};
  } else if (host == "player.vimeo.com") {
    if (auto id = segment_after(path, "/video/"); id && vimeo_id(*id))
      return VideoEmbed{VideoEmbed::Host::vimeo, std::string(*id)};
  }
  return std::nullopt;
}

std::string video_player_url(const VideoEmbed& video) {
  return video.host == VideoEmbed::Host::youtube ? "https://www.youtube-nocookie.com/embed/" + video.id
                                                 : "https://player.vimeo.com/video/" + video.id + "?dnt=1";
}

Result<void> Schemas::validate_component_props(std::string_view type, const nlohmann::json& props) const {
  int idx = type_index(type);
  if (idx < 0)
    return make_error(Errc::unprocessable, "unknown component type",
                      {{"type", "unknown component type"}});
  if (!props.is_object())
    return make_error(Errc::unprocessable, "invalid props", {{"props", "must be an object"}});
  const valijson::Schema& schema = *components_->schemas[static_cast<size_t>(idx)];

  for (const MaxLength& m : components_->max_lengths[static_cast<size_t>(idx)]) {
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
      if (it != props.end() && it->is_string() && !is_safe_url(it->get_ref<const std::string&>()) &&
          !(is_image_prop_name(name) && asset_ref_id(it->get_ref<const std::string&>())))
        return make_error(
            Errc::unprocessable, "unsafe URL",
            {{"props." + std::string(name), "must be an http(s), relative, mailto: or tel: URL"}});
    }
  }
  for (const auto& u : kItemUrlProps) {
    if (u.type != type) continue;
    auto list = props.find(u.array);
    if (list == props.end() || !list->is_array()) continue;
    for (size_t i = 0; i < list->size(); ++i) {
      const auto& item = (*list)[i];
      auto it = item.find(u.prop);  // end() for a non-object, which the schema refused
      if (it != item.end() && it->is_string() && !is_safe_url(it->get_ref<const std::string&>()) &&
          !(is_image_prop_name(u.prop) && asset_ref_id(it->get_ref<const std::string&>())))
        return make_error(Errc::unprocessable, "unsafe URL",
                          {{"props." + std::string(u.array) + "." + std::to_string(i) + "." + std::string(u.prop),
                            "must be an http(s), relative, mailto: or tel: URL"}});
    }
  }
  if (type == "Video") {
    auto it = props.find("url");
    if (it != props.end() && it->is_string() && !video_embed(it->get_ref<const std::string&>()))
      return make_error(Errc::unprocessable, "not a YouTube or Vimeo video",
                        {{"props.url", "must be the URL of a YouTube or Vimeo video"}});
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

}  // namespace pw::domain
