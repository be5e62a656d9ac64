#include "events/upcast.hpp"

#include <array>

namespace pw::domain {

using json = nlohmann::json;

Result<json> component_moved_1_to_2(json data) {
  // Not an object: the decoder says so, as it would have for version 1.
  if (!data.is_object()) return data;
  // Version 1 had no such fields: refused as its decoder refused them, never
  // mistaken for version 2's.
  for (const char* newer : {"to", "from"})
    if (data.contains(newer))
      return make_error(Errc::validation_error, "invalid ComponentMoved data", {{newer, "unknown field"}});
  json to = json::object();
  for (const char* key : {"parentId", "slot", "index"}) {
    auto it = data.find(key);
    if (it == data.end()) continue;
    to[key] = std::move(*it);
    data.erase(it);
  }
  data["to"] = std::move(to);
  return data;
}

namespace {
constexpr std::array kUpcasters{
    Upcaster{"ComponentMoved", 1, &component_moved_1_to_2},
};
}  // namespace

std::span<const Upcaster> upcasters() { return kUpcasters; }

bool has_upcaster(std::string_view type, int version) {
  for (const auto& u : kUpcasters)
    if (u.type == type && u.from == version) return true;
  return false;
}

Result<Upcast> upcast(std::string_view type, int version, json data) {
  for (bool stepped = true; stepped;) {
    stepped = false;
    for (const auto& u : kUpcasters) {
      if (u.type != type || u.from != version) continue;
      auto next = u.step(std::move(data));
      if (!next.ok()) return next.error();
      data = std::move(next).value();
      ++version;
      stepped = true;
      break;
    }
  }
  return Upcast{version, std::move(data)};
}

}  // namespace pw::domain
