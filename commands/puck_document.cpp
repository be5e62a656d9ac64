#include "commands/puck_document.hpp"

#include <algorithm>
#include <set>

#include "commands/components.hpp"
#include "commands/content.hpp"
#include "commands/validation.hpp"
#include "events/hash_chain.hpp"

namespace pw::domain {

static_assert(kMaxPuckDocumentDepth == 3 * kMaxTreeDepth + 16, "three JSON levels per component level");

namespace {

using nlohmann::json;

json component_json(const Component& c) {
  json props = c.props;
  props["id"] = c.id.value;
  for (const auto& [name, children] : c.slots) {
    json list = json::array();
    for (const auto& child : children) list.push_back(component_json(child));
    props[name] = std::move(list);
  }
  return json{{"type", c.type}, {"props", std::move(props)}};
}

// Reads a document into a tree, collecting every problem (up to
// kMaxContentDetails) with its pointer. Shape problems (the request is not a
// Puck document) outrank what the component library refuses.
class DocumentReader {
 public:
  DocumentReader(const Schemas& schemas, const json* zones, std::string_view seed)
      : schemas_(schemas), zones_(zones), seed_(seed) {}

  std::vector<Component> list(const json& value, const std::string& pointer, int depth) {
    std::vector<Component> out;
    if (!value.is_array()) {
      shape(pointer, "must be an array of components");
      return out;
    }
    for (size_t i = 0; i < value.size(); ++i)
      if (auto c = component(value[i], pointer + "/" + std::to_string(i), depth)) out.push_back(std::move(*c));
    return out;
  }

  void shape(std::string field, std::string message) { add(shape_, std::move(field), std::move(message)); }
  void refuse(std::string field, std::string message) { add(refused_, std::move(field), std::move(message)); }

  // Zones no component of the document claimed: their components would be lost.
  void unclaimed_zones() {
    if (!zones_) return;
    for (const auto& [key, value] : zones_->items()) {
      if (claimed_.contains(key)) continue;
      if (!value.is_array()) {
        shape("/zones/" + pointer_token(key), "must be an array of components");
        continue;
      }
      if (value.is_array() && value.empty()) continue;  // holds nothing, so nothing is lost
      refuse("/zones/" + pointer_token(key), "no component of this document has this slot");
    }
  }

  Result<void> outcome(const std::vector<Component>& content) {
    if (internal_) return *internal_;
    if (!shape_.details.empty()) return finish(std::move(shape_), Errc::validation_error, "invalid Puck document");
    if (count_ > kMaxComponentsPerPage)
      refuse("/content", "a page holds at most " + std::to_string(kMaxComponentsPerPage) +
                             " components (this document: " + std::to_string(count_) + ")");
    if (!refused_.details.empty()) return finish(std::move(refused_), Errc::unprocessable, "invalid content");
    const size_t bytes = content_bytes(content);
    if (bytes > kMaxPageContentBytes)
      return make_error(Errc::payload_too_large, "content too large",
                        {{"/content", "the page's content would be " + std::to_string(bytes) +
                                          " bytes serialized; the limit is " + std::to_string(kMaxPageContentBytes)}});
    return {};
  }

  std::unordered_map<ComponentId, std::string> take_pointers() && { return std::move(pointers_); }

 private:
  struct Problems {
    std::vector<ErrorDetail> details;
    size_t dropped = 0;
  };

  static void add(Problems& p, std::string field, std::string message) {
    if (p.details.size() < kMaxContentDetails) p.details.push_back({std::move(field), std::move(message)});
    else ++p.dropped;
  }

  static Error finish(Problems p, Errc code, std::string message) {
    if (p.dropped) p.details.push_back({"/content", std::to_string(p.dropped) + " more problem(s) not listed"});
    return make_error(code, std::move(message), std::move(p.details));
  }

  std::optional<Component> component(const json& j, const std::string& pointer, int depth) {
    if (!j.is_object()) {
      shape(pointer, "must be an object {type, props}");
      return std::nullopt;
    }
    bool ok = true;
    for (const auto& [key, value] : j.items())
      if (key != "type" && key != "props") {
        shape(pointer + "/" + pointer_token(key), "unknown field");
        ok = false;
      }
    const auto type = j.find("type");
    if (type == j.end() || !type->is_string()) {
      shape(pointer + "/type", type == j.end() ? "required" : "must be a string");
      ok = false;
    }
    static const json kNoProps = json::object();
    const auto props_it = j.find("props");
    const json& props = props_it == j.end() ? kNoProps : *props_it;
    if (!props.is_object()) {
      shape(pointer + "/props", "must be an object");
      ok = false;
    }
    if (!ok) return std::nullopt;
    ++count_;
    if (depth > kMaxTreeDepth) {
      refuse(pointer, "components nest at most " + std::to_string(kMaxTreeDepth) + " levels deep");
      return std::nullopt;
    }

    Component c;
    c.type = type->get<std::string>();
    c.props = props;
    if (!take_id(c, pointer)) return std::nullopt;
    c.props.erase("id");
    if (!is_known_component_type(c.type)) {
      refuse(pointer + "/type", "unknown component type");
      return std::nullopt;
    }
    take_slots(c, pointer, depth);
    if (auto r = schemas_.validate_component_props(c.type, c.props); !r) {
      if (r.error().code == Errc::internal) internal_ = r.error();
      for (const auto& d : r.error().details) refuse(document_field(pointer, d.field), d.message);
    }
    pointers_.emplace(c.id, pointer);
    return c;
  }

  // props.id: kept when valid and unique, made when absent.
  bool take_id(Component& c, const std::string& pointer) {
    const auto id = c.props.find("id");
    const std::string field = pointer + "/props/id";
    if (id == c.props.end()) {
      c.id = ComponentId{"c" + sha256_hex(std::string(seed_) + "/" + pointer).substr(0, 15)};
    } else if (!id->is_string()) {
      shape(field, "must be a string");
      return false;
    } else {
      c.id = ComponentId{id->get<std::string>()};
      if (!is_valid_component_id(c.id.value)) {
        refuse(field, "must match ^[A-Za-z0-9_-]{1,64}$");
        return false;
      }
    }
    if (!ids_.insert(c.id.value).second) {
      refuse(field, "component ids must be unique in the page");
      return false;
    }
    return true;
  }

  // The type's slots (as its props define them) leave the props; each holds
  // the list inline, or the one zones keeps under "<id>:<slot>".
  void take_slots(Component& c, const std::string& pointer, int depth) {
    const auto names = component_slots(c.type, c.props);
    std::vector<std::pair<std::string, std::string>> found;  // slot → pointer of its list
    std::vector<std::pair<std::string, json>> lists;
    for (std::string_view name : names) {
      const std::string slot(name);
      const std::string inline_pointer = pointer + "/props/" + pointer_token(slot);
      const std::string key = c.id.value + ":" + slot;
      const json* zone = nullptr;
      if (zones_)
        if (auto z = zones_->find(key); z != zones_->end()) zone = &*z;
      auto own = c.props.find(slot);
      if (own != c.props.end() && zone) {
        refuse(inline_pointer, "given twice: inline and as zones[\"" + key + "\"]");
        c.props.erase(own);
        claimed_.insert(key);
        c.slots.try_emplace(slot);
        continue;
      }
      if (own != c.props.end()) {
        lists.emplace_back(slot, std::move(*own));
        found.emplace_back(slot, inline_pointer);
        c.props.erase(own);
      } else if (zone) {
        if (!claimed_.insert(key).second) {
          refuse("/zones/" + pointer_token(key), "claimed by two components");
          c.slots.try_emplace(slot);
          continue;
        }
        lists.emplace_back(slot, *zone);
        found.emplace_back(slot, "/zones/" + pointer_token(key));
      } else {
        c.slots.try_emplace(slot);
      }
    }
    // An empty list under a slot the type has only with other props (Puck
    // writes every slot field) is no slot; anything in it would be lost.
    for (std::string_view name : component_all_slots(c.type)) {
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      auto it = c.props.find(std::string(name));
      if (it == c.props.end()) continue;
      if (it->is_array() && it->empty()) {
        c.props.erase(it);
      } else {
        refuse(pointer + "/props/" + pointer_token(name),
               c.type + " has no slot '" + std::string(name) + "' with these props");
        c.props.erase(it);
      }
    }
    for (size_t i = 0; i < lists.size(); ++i)
      c.slots[lists[i].first] = list(lists[i].second, found[i].second, depth + 1);
  }

  const Schemas& schemas_;
  const json* zones_;
  std::string_view seed_;
  Problems shape_;
  Problems refused_;
  std::optional<Error> internal_;
  size_t count_ = 0;
  std::set<std::string> ids_;
  std::set<std::string> claimed_;
  std::unordered_map<ComponentId, std::string> pointers_;
};

std::optional<std::string> read_root(const json& document, DocumentReader& reader) {
  const auto root = document.find("root");
  if (root == document.end()) return std::nullopt;
  if (!root->is_object()) {
    reader.shape("/root", "must be an object {props: {title}}");
    return std::nullopt;
  }
  for (const auto& [key, value] : root->items())
    if (key != "props") reader.shape("/root/" + pointer_token(key), "unknown field");
  const auto props = root->find("props");
  if (props == root->end()) return std::nullopt;
  if (!props->is_object()) {
    reader.shape("/root/props", "must be an object {title}");
    return std::nullopt;
  }
  for (const auto& [key, value] : props->items())
    if (key != "title") reader.shape("/root/props/" + pointer_token(key), "unknown field");
  const auto title = props->find("title");
  if (title == props->end()) return std::nullopt;
  if (!title->is_string()) {
    reader.shape("/root/props/title", "must be a string");
    return std::nullopt;
  }
  return title->get<std::string>();
}

}  // namespace

std::string pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char ch : token) {
    if (ch == '~') out += "~0";
    else if (ch == '/') out += "~1";
    else out += ch;
  }
  return out;
}

std::string document_field(const std::string& pointer, std::string_view field) {
  if (field != "props" && field.rfind("props.", 0) != 0) return pointer;
  std::string out = pointer;
  size_t start = 0;
  while (start <= field.size()) {
    const size_t dot = field.find('.', start);
    const std::string_view part = field.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    out += "/" + pointer_token(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

json puck_document(const std::string& title, const std::vector<Component>& content) {
  json list = json::array();
  for (const auto& c : content) list.push_back(component_json(c));
  return json{{"root", {{"props", {{"title", title}}}}}, {"content", std::move(list)}, {"zones", json::object()}};
}

Result<PuckContent> read_puck_document(const Schemas& schemas, const json& document, std::string_view id_seed) {
  if (!document.is_object())
    return make_error(Errc::validation_error, "invalid Puck document", {{"", "must be an object {root, content, zones}"}});
  const json* zones = nullptr;
  if (auto z = document.find("zones"); z != document.end()) zones = &*z;
  DocumentReader reader(schemas, zones && zones->is_object() ? zones : nullptr, id_seed);
  for (const auto& [key, value] : document.items())
    if (key != "root" && key != "content" && key != "zones") reader.shape("/" + pointer_token(key), "unknown field");
  if (zones && !zones->is_object()) reader.shape("/zones", "must be an object of component lists");

  PuckContent out;
  out.title = read_root(document, reader);
  const auto content = document.find("content");
  if (content == document.end()) reader.shape("/content", "required");
  else out.content = reader.list(*content, "/content", 1);
  reader.unclaimed_zones();
  if (auto r = reader.outcome(out.content); !r) return r.error();
  out.pointers = std::move(reader).take_pointers();
  return out;
}

}  // namespace pw::domain
