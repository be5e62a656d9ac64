#pragma once
// The component library: known types, their slots and URL safety checks.
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "events/result.hpp"

namespace pw::domain {

inline constexpr int kMaxTreeDepth = 32;
inline constexpr size_t kMaxComponentsPerPage = 2000;

std::span<const std::string_view> component_types();
bool is_known_component_type(std::string_view type);

// Slots of a component in order (Columns: column1..column<count>); empty for leaves.
std::span<const std::string_view> component_slots(std::string_view type,
                                                  const nlohmann::json& props);
bool has_slot(std::string_view type, const nlohmann::json& props, std::string_view slot);
// Every slot a type can have whatever its props (Columns: column1..column4).
std::span<const std::string_view> component_all_slots(std::string_view type);

// http(s), mailto:, tel:, or relative (no scheme). Control characters anywhere
// and every other scheme (javascript:, data:, vbscript:, …) are refused.
bool is_safe_url(std::string_view url);

// A YouTube or Vimeo video named by a URL as people share it (youtube.com/watch?v=,
// youtu.be/, …/embed/, …/shorts/, vimeo.com/<id>, player.vimeo.com/video/<id>);
// nullopt for every other URL, so a Video can embed nothing else.
struct VideoEmbed {
  enum class Host { youtube, vimeo } host = Host::youtube;
  std::string id;  // YouTube: 11 of [A-Za-z0-9_-]; Vimeo: digits
};
std::optional<VideoEmbed> video_embed(std::string_view url);
// The privacy-enhanced player: www.youtube-nocookie.com/embed/<id>, or
// player.vimeo.com/video/<id>?dnt=1 (Vimeo's do-not-track).
std::string video_player_url(const VideoEmbed& video);

// Props are checked against the type's schema by Schemas::validate_component_props
// (commands/schemas.hpp).

}  // namespace pw::domain
