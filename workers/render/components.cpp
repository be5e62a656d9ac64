// Component tree → HTML. Each prop is read defensively (the renderer must be
// safe even on props that skipped validation): texts are escaped by Mustache,
// URLs pass is_safe_url, enum-like props map through fixed tables to class
// names, and nothing else from a prop reaches the markup.
#include <mstch/mstch.hpp>

#include <array>
#include <utility>

#include "commands/components.hpp"
#include "workers/render/internal.hpp"

namespace pw::render::detail {
namespace {

using domain::Component;
using Allow = std::span<const std::pair<std::string_view, std::string_view>>;

constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPadding = {{
    {"none", "pw-pad-none"}, {"small", "pw-pad-small"}, {"medium", "pw-pad-medium"},
    {"large", "pw-pad-large"}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kGap = {{
    {"none", "pw-gap-none"}, {"small", "pw-gap-small"}, {"medium", "pw-gap-medium"},
    {"large", "pw-gap-large"}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAlign = {{
    {"left", "pw-align-left"}, {"center", "pw-align-center"}, {"right", "pw-align-right"}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kVariant = {{
    {"primary", "pw-button-primary"}, {"secondary", "pw-button-secondary"}}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSpacer = {{
    {"small", "pw-spacer-small"}, {"medium", "pw-spacer-medium"}, {"large", "pw-spacer-large"}}};
constexpr std::array<std::string_view, 7> kHeadingTags = {"h2", "h1", "h2", "h3", "h4", "h5", "h6"};
constexpr std::array<std::string_view, 5> kColumnClasses = {"", "", "pw-columns-2", "pw-columns-3",
                                                            "pw-columns-4"};
constexpr std::array<std::string_view, 5> kGalleryClasses = {"", "", "pw-gallery-2", "pw-gallery-3",
                                                             "pw-gallery-4"};
// Arrays the schemas bound tighter; these only keep unvalidated props finite.
constexpr size_t kMaxItems = 100;

std::string text(const nlohmann::json& props, const char* key) {
  auto it = props.find(key);
  return it != props.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string url(const nlohmann::json& props, const char* key) { return clean_url(text(props, key)); }

// A class from the table, else the fallback's class.
std::string pick(const nlohmann::json& props, const char* key, Allow table,
                 std::string_view fallback) {
  std::string v = text(props, key);
  std::string_view chosen = fallback;
  for (const auto& [name, cls] : table) {
    if (name == v) chosen = name;
  }
  for (const auto& [name, cls] : table) {
    if (name == chosen) return std::string(cls);
  }
  return {};
}

// 0 when absent, not an integer, or outside [lo, hi].
int64_t integer(const nlohmann::json& props, const char* key, int64_t lo, int64_t hi) {
  auto it = props.find(key);
  if (it == props.end() || !it->is_number_integer()) return 0;
  auto v = it->get<int64_t>();
  return v >= lo && v <= hi ? v : 0;
}

// The objects of an array prop, at most kMaxItems.
std::vector<const nlohmann::json*> objects(const nlohmann::json& props, const char* key) {
  std::vector<const nlohmann::json*> out;
  auto it = props.find(key);
  if (it == props.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_object() && out.size() < kMaxItems) out.push_back(&item);
  }
  return out;
}

// {label, href} items; an unsafe href leaves a link without href.
mstch::array links(const nlohmann::json& props) {
  mstch::array out;
  for (const nlohmann::json* item : objects(props, "links")) {
    std::string label = text(*item, "label");
    if (!label.empty()) out.emplace_back(mstch::map{{"label", label}, {"href", url(*item, "href")}, {"current", false}});
  }
  return out;
}

// The site's navigation, relative to the page, for a Navbar without links.
mstch::array site_links(const ComponentContext& ctx) {
  mstch::array out;
  if (ctx.nav == nullptr) return out;
  const std::string prefix = root_prefix(ctx.slug);
  for (const NavEntry& e : *ctx.nav) {
    std::string href = e.slug.empty() ? (prefix.empty() ? "./" : prefix) : prefix + e.slug + "/";
    out.emplace_back(mstch::map{{"label", e.title}, {"href", std::move(href)}, {"current", e.slug == ctx.slug}});
  }
  return out;
}

std::string slot_html(const Component& c, const std::string& slot, ComponentContext& ctx, int depth) {
  auto it = c.slots.find(slot);
  return it == c.slots.end() ? std::string() : render_components(it->second, ctx, depth + 1);
}

// A colour token becomes a class (the stylesheet has one per token): the
// published sites' Content-Security-Policy refuses inline styles. Any other
// safe CSS colour can only be an inline style, which such a policy ignores.
struct Background {
  std::string token_class, style_value;
};
Background section_bg(const nlohmann::json& props, const ComponentContext& ctx) {
  std::string v = text(props, "background");
  if (ctx.color_tokens != nullptr && ctx.color_tokens->contains(v)) return {"pw-bg-" + v, {}};
  return {{}, safe_css_value(v) ? v : std::string()};
}

// Unique, valid ids only: a duplicate anchor keeps its section but loses the id.
std::string anchor_id(const nlohmann::json& props, ComponentContext& ctx) {
  std::string a = text(props, "anchor");
  bool valid = !a.empty() && a.size() <= 64 &&
               ((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z'));
  for (char ch : a) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    valid = valid && ok;
  }
  if (!valid || !ctx.ids.insert(a).second) return {};
  return a;
}

Error too_large(const ComponentContext& ctx) {
  return make_error(Errc::payload_too_large, "rendered HTML is over the limit of " + std::to_string(ctx.max_bytes) +
                                                 " bytes per page");
}

// The component's Markdown as HTML, or "" with ctx.failed set.
std::string markdown(const Component& c, std::string_view source, ComponentContext& ctx) {
  auto html = markdown_to_html(source);
  if (html.ok()) {
    ctx.bytes += html->size();
    return std::move(html).value();
  }
  ctx.failed = make_error(html.error().code, c.type + " component " + c.id.value + ": " + html.error().message);
  return {};
}

// The values of a type's opening template, and the HTML between it and the
// closing markup (children, columns, Markdown).
struct Parts {
  mstch::map values;
  std::string inner;
  bool empty = false;  // nothing to show: leave the component out
};

// The types after the first nine. `empty` set: the component has nothing to
// show (no video, no images, no items, no links) and is left out, as markup
// such as an <iframe> without src or an empty <ul> helps nobody.
Parts more_view(const Component& c, const nlohmann::json& p, const ComponentContext& ctx) {
  const std::string& t = c.type;
  if (t == "Video") {
    auto video = domain::video_embed(text(p, "url"));
    if (!video) return {{}, {}, true};
    return {{{"src", domain::video_player_url(*video)}, {"title", text(p, "title")}}, {}};
  }
  if (t == "Gallery") {
    mstch::array images;
    for (const nlohmann::json* item : objects(p, "images")) {
      ImageAttrs img = image_attrs(*item, "src", ctx, "(max-width: 640px) 50vw, 33vw");
      if (img.src.empty()) continue;
      images.emplace_back(mstch::map{{"src", std::move(img.src)},
                                     {"srcset", std::move(img.srcset)},
                                     {"sizes", std::move(img.sizes)},
                                     {"width", img.width > 0 ? std::to_string(img.width) : std::string()},
                                     {"height", img.height > 0 ? std::to_string(img.height) : std::string()},
                                     {"alt", text(*item, "alt")}});
    }
    if (images.empty()) return {{}, {}, true};
    int64_t columns = integer(p, "columns", 2, 4);
    return {{{"cols", std::string(kGalleryClasses[static_cast<size_t>(columns == 0 ? 3 : columns)])},
             {"images", std::move(images)}}, {}};
  }
  if (t == "Quote") {
    std::string quote = text(p, "text");
    if (quote.empty()) return {{}, {}, true};
    return {{{"text", std::move(quote)}, {"cite", text(p, "cite")}}, {}};
  }
  if (t == "List") {
    mstch::array items;
    for (const nlohmann::json* item : objects(p, "items")) {
      std::string line = text(*item, "text");
      if (!line.empty()) items.emplace_back(mstch::map{{"text", std::move(line)}});
    }
    if (items.empty()) return {{}, {}, true};
    auto ordered = p.find("ordered");
    const bool ol = ordered != p.end() && ordered->is_boolean() && ordered->get<bool>();
    return {{{"tag", std::string(ol ? "ol" : "ul")}, {"items", std::move(items)}}, {}};
  }
  if (t == "Faq") {
    mstch::array items;
    for (const nlohmann::json* item : objects(p, "items")) {
      std::string question = text(*item, "question");
      if (!question.empty())
        items.emplace_back(mstch::map{{"question", std::move(question)}, {"answer", text(*item, "answer")}});
    }
    if (items.empty()) return {{}, {}, true};
    return {{{"items", std::move(items)}}, {}};
  }
  if (t == "Navbar") {
    mstch::array list = links(p);
    if (list.empty()) list = site_links(ctx);
    if (list.empty()) return {{}, {}, true};
    return {{{"links", std::move(list)}}, {}};
  }
  if (t == "Footer") {
    mstch::array list = links(p);
    std::string note = text(p, "text");
    if (list.empty() && note.empty()) return {{}, {}, true};
    const bool has_links = !list.empty();
    return {{{"text", std::move(note)}, {"hasLinks", has_links}, {"links", std::move(list)}}, {}};
  }
  return {};  // Divider: no props
}

Parts view(const Component& c, ComponentContext& ctx, int depth) {
  const nlohmann::json& p = c.props.is_object() ? c.props : nlohmann::json::object();
  const std::string& t = c.type;
  if (t == "Section") {
    // On the brand colours text takes on-primary, as in the hero.
    const std::string bg_name = text(p, "background");
    const bool inverse = ctx.color_tokens != nullptr && (bg_name == "primary" || bg_name == "secondary") &&
                         ctx.color_tokens->contains(bg_name);
    Background bg = section_bg(p, ctx);
    return {{{"pad", pick(p, "padding", kPadding, "medium")},
             {"id", anchor_id(p, ctx)},
             {"bgClass", std::move(bg.token_class)},
             {"bg", std::move(bg.style_value)},
             {"inverse", inverse}},
            slot_html(c, "children", ctx, depth)};
  }
  if (t == "Columns") {
    int64_t count = integer(p, "count", 2, 4);
    if (count == 0) count = 2;
    std::string cols;
    for (int64_t i = 1; i <= count; ++i) {
      cols += "<div class=\"pw-column\">\n";
      cols += slot_html(c, "column" + std::to_string(i), ctx, depth);
      cols += "</div>\n";
    }
    return {{{"cols", std::string(kColumnClasses[static_cast<size_t>(count)])},
             {"gap", pick(p, "gap", kGap, "medium")}},
            std::move(cols)};
  }
  if (t == "Heading") {
    auto level = static_cast<size_t>(integer(p, "level", 1, 6));
    return {{{"tag", std::string(kHeadingTags[level])},
             {"align", pick(p, "align", kAlign, "")},
             {"text", text(p, "text")}}, {}};
  }
  if (t == "Text") return {{}, markdown(c, text(p, "text"), ctx)};
  if (t == "Image") {
    const ImageAttrs img = image_attrs(p, "src", ctx, "(max-width: 960px) 100vw, 960px");
    int64_t w = integer(p, "width", 1, 100000), h = integer(p, "height", 1, 100000);
    if (w == 0 && h == 0) w = img.width, h = img.height;  // an asset's own size reserves its box
    return {{{"src", img.src},
             {"srcset", img.srcset},
             {"sizes", img.sizes},
             {"alt", text(p, "alt")},
             {"width", w > 0 ? std::to_string(w) : std::string()},
             {"height", h > 0 ? std::to_string(h) : std::string()},
             {"caption", text(p, "caption")}}, {}};
  }
  if (t == "Button") {
    return {{{"variant", pick(p, "variant", kVariant, "primary")},
             {"href", url(p, "href")},
             {"label", text(p, "label")}}, {}};
  }
  if (t == "Hero") {
    std::string label = text(p, "ctaLabel");
    const ImageAttrs img = image_attrs(p, "image", ctx, "100vw");
    return {{{"image", img.src},
             {"imageSrcset", img.srcset},
             {"imageSizes", img.sizes},
             {"title", text(p, "title")},
             {"subtitle", text(p, "subtitle")},
             {"ctaHref", label.empty() ? std::string() : url(p, "ctaHref")},
             {"ctaLabel", label}}, {}};
  }
  if (t == "Card") {
    std::string body = text(p, "body");
    const ImageAttrs img = image_attrs(p, "image", ctx, "(max-width: 640px) 100vw, 33vw");
    return {{{"image", img.src},
             {"imageSrcset", img.srcset},
             {"imageSizes", img.sizes},
             {"title", text(p, "title")},
             {"href", url(p, "href")}},
            body.empty() ? std::string() : markdown(c, body, ctx)};
  }
  if (t == "Spacer") return {{{"size", pick(p, "size", kSpacer, "medium")}}, {}};
  return more_view(c, p, ctx);
}

}  // namespace

std::string render_components(const std::vector<Component>& list, ComponentContext& ctx, int depth) {
  std::string out;
  if (depth >= domain::kMaxTreeDepth) return out;
  for (const Component& c : list) {
    if (ctx.failed) return out;
    const ComponentTemplate* tmpl = component_template(c.type);
    if (tmpl == nullptr) continue;
    // An Image without a usable src would be an <img> without src: leave it out.
    if (c.type == "Image" && (!c.props.is_object() || image_attrs(c.props, "src", ctx, "").src.empty())) continue;
    Parts parts = view(c, ctx, depth);
    if (ctx.failed) return out;
    if (parts.empty) continue;
    std::string open = mstch::render(tmpl->open, parts.values);
    // Children and Markdown were counted as they were made; the caller checks
    // the page's exact size, this only stops a runaway page early.
    ctx.bytes += open.size() + tmpl->close.size();
    if (ctx.bytes > ctx.max_bytes) {
      ctx.failed = too_large(ctx);
      return out;
    }
    out += open;
    out += parts.inner;
    out += tmpl->close;
  }
  return out;
}

void collect_types(const std::vector<Component>& list, uint32_t& out, int depth) {
  if (depth >= domain::kMaxTreeDepth) return;
  for (const Component& c : list) {
    const int index = component_index(c.type);
    if (index < 0) continue;
    out |= uint32_t{1} << index;
    for (const auto& [slot, children] : c.slots) collect_types(children, out, depth + 1);
  }
}

nlohmann::json components_key_json(const std::vector<Component>& list, int depth) {
  nlohmann::json arr = nlohmann::json::array();
  if (depth >= domain::kMaxTreeDepth) return arr;
  for (const Component& c : list) {
    nlohmann::json slots = nlohmann::json::object();
    for (const auto& [slot, children] : c.slots) slots[slot] = components_key_json(children, depth + 1);
    arr.push_back({{"type", c.type}, {"props", c.props}, {"slots", std::move(slots)}});
  }
  return arr;
}

}  // namespace pw::render::detail
