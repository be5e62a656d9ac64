#pragma once
// Internal to the deciders: rejections and the checks every command shares.
#include <optional>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "commands/schemas.hpp"
#include "commands/state.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {

using Events = std::vector<DomainEvent>;
using Decision = Result<Events>;

Error reject(Errc code, std::string field, std::string message);
inline Error invalid(std::string field, std::string message) {
  return reject(Errc::validation_error, std::move(field), std::move(message));
}
inline Error unprocessable(std::string field, std::string message) {
  return reject(Errc::unprocessable, std::move(field), std::move(message));
}

// The site exists, is the tenant's (else NOT_FOUND, never revealing it) and is
// the one the command was routed to.
std::optional<Error> check_site(const SiteState& s, const CommandMeta& m);
std::optional<Error> check_version(int64_t current, const CommandMeta& m);
// The page id carries the command's site id (ids route).
std::optional<Error> check_page_route(const PageId& id, const CommandMeta& m);
// check_site, then the page exists (NOT_FOUND) and is not deleted
// (UNPROCESSABLE: a deleted page takes no edits until it is restored), then
// If-Match.
Result<const PageState*> load_page(const SiteState& s, const CommandMeta& m, const PageId& id);
// The page, deleted or not (NOT_FOUND when absent); no If-Match check.
Result<const PageState*> find_any_page(const SiteState& s, const PageId& id,
                                       std::string field = "pageId");
Error page_deleted_error(std::string field = "pageId");
std::optional<Error> check_url(const std::string& field, const std::string& url);
// The first string of the command (values and keys of its JSON included) that
// holds a control character other than tab, CR and LF; its field as
// command_to_json names it ("title", "settings.a.b", "log[3]").
std::optional<RefusedText> find_unstorable_text(const Command& command);

// The deciders that check props, content or tokens against their schemas
// take them first.
Decision decide_cmd(const SiteState&, const CommandMeta&, const CreateSite&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const UpdateSiteSettings&);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const CreatePage&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const UpdatePageMetadata&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const ChangePageSlug&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const PublishPage&);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const AddComponent&);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const UpdateComponentProps&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const MoveComponent&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const RemoveComponent&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const RequestDeployment&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const StartDeployment&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const CompleteDeployment&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const FailDeployment&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const RollbackDeployment&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const DeletePage&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const RestorePage&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const UnpublishPage&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const DuplicatePage&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const SaveTemplate&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const DeleteTemplate&);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const UpdateDesignTokens&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const LabelVersion&);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const RestorePageVersion&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const RequestPreview&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const CompletePreview&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const FailPreview&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const UploadAsset&);
Decision decide_cmd(const SiteState&, const CommandMeta&, const DeleteAsset&);
// decide_asset.cpp: every "asset:<id>" the events put in an image prop or SEO
// names a live asset of `s` (UNPROCESSABLE naming each prop, at most
// kMaxAssetRefDetails of them).
inline constexpr size_t kMaxAssetRefDetails = 100;
std::optional<Error> check_asset_refs(const SiteState& s, const Events& events);
Decision decide_cmd(const Schemas&, const SiteState&, const CommandMeta&, const ReplacePageContent&);

}  // namespace pw::domain::detail

namespace pw::domain::detail {
// One event, moved into place (a braced list would copy it).
template <class E>
Events one(E&& e) {
  Events v;
  v.emplace_back(std::forward<E>(e));
  return v;
}
}  // namespace pw::domain::detail
