#pragma once
// Shared builders for the decider tests: a tenant, a site, pages and commands.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "tests/support/schemas.hpp"

namespace pw::domain::test {

using nlohmann::json;
using Events = std::vector<DomainEvent>;

inline const TenantId kTenant{"tenant-1"};
inline const TenantId kOtherTenant{"tenant-2"};
inline const UserId kActor{"user-1"};
inline constexpr const char* kSubdomain = "acme";

// The schemas every decider test decides with, loaded once.
inline const Schemas& loaded_schemas() { return *::pw::test::test_schemas(); }

const SiteId& site();  // site_id_for_subdomain("acme")
PageId page(std::string_view suffix);
CommandMeta meta(std::optional<int64_t> expected = std::nullopt);
CommandMeta meta_for(const SiteId& s, std::optional<int64_t> expected = std::nullopt);

// decide must accept; the events are applied to `s`.
Events run(SiteState& s, const Command& c, const CommandMeta& m = meta());
SiteState with(SiteState s, std::vector<Command> cmds);

SiteState empty_site();  // no events yet
SiteState acme();        // the site, no pages
// acme + pages "home" (slug ""), "about" (slug "about"), and on home:
//   sec: Section            children: [h1: Heading, img: Image]
//   cols: Columns(count 2)  column1: [btn: Button], column2: []
//   txt: Text
SiteState sample();
PageId home();
PageId about();

// A site whose home page holds a chain of `depth` nested Sections s1 > s2 > …
SiteState deep(int depth);

AddComponent add(std::string id, std::string type, json props,
                 std::optional<std::string> parent = std::nullopt,
                 std::optional<std::string> slot = std::nullopt,
                 std::optional<int64_t> index = std::nullopt, PageId on = home());

// One row of a decider rule table: from `state`, `cmd` under `m` is accepted
// with exactly `events`, or refused with `error` whose first detail names `field`.
struct Rule {
  std::string name;
  std::function<SiteState()> state;
  Command cmd;
  CommandMeta m;
  std::optional<Errc> error;  // nullopt: accepted with exactly `events`
  std::string field;          // the first detail's field of a rejection
  Events events;
};
void PrintTo(const Rule& r, std::ostream* os);
Rule ok(std::string name, std::function<SiteState()> state, Command cmd, Events events, CommandMeta m = meta());
Rule no(std::string name, std::function<SiteState()> state, Command cmd, Errc code, std::string field,
        CommandMeta m = meta());
// Decides the row's command and checks the outcome (an accepted row's events
// must also apply).
void expect_decides(const Rule& r);

CommandMeta other_tenant();  // meta() of kOtherTenant

}  // namespace pw::domain::test
