#include "fixtures.hpp"

namespace pw::domain::test {

const SiteId& site() {
  static const SiteId id = site_id_for_subdomain(kSubdomain);
  return id;
}

PageId page(std::string_view suffix) { return make_page_id(site(), suffix); }
PageId home() { return page("home"); }
PageId about() { return page("about"); }

CommandMeta meta_for(const SiteId& s, std::optional<int64_t> expected) {
  return CommandMeta{
      CommandId{"cmd-1"}, kTenant, kActor, s, "2024-05-01T12:00:00.000000Z", expected};
}
CommandMeta meta(std::optional<int64_t> expected) { return meta_for(site(), expected); }

Events run(SiteState& s, const Command& c, const CommandMeta& m) {
  auto r = decide(loaded_schemas(), s, m, c);
  if (!r) {
    ADD_FAILURE() << command_type(c) << " rejected: " << r.error().message << " "
                  << (r.error().details.empty() ? "" : r.error().details[0].field);
    return {};
  }
  for (const auto& e : *r) apply(s, e);
  return *r;
}

SiteState with(SiteState s, std::vector<Command> cmds) {
  for (const auto& c : cmds) run(s, c);
  return s;
}

SiteState empty_site() { return SiteState{}; }

SiteState acme() { return with(SiteState{}, {CreateSite{site(), "Acme", kSubdomain}}); }

AddComponent add(std::string id, std::string type, json props, std::optional<std::string> parent,
                 std::optional<std::string> slot, std::optional<int64_t> index, PageId on) {
  AddComponent a;
  a.pageId = std::move(on);
  a.componentId = ComponentId{std::move(id)};
  a.type = std::move(type);
  a.props = std::move(props);
  if (parent) a.parentId = ComponentId{*parent};
  a.slot = std::move(slot);
  a.index = index;
  return a;
}

SiteState sample() {
  return with(acme(),
              {
                  CreatePage{home(), "Home", std::string(), std::nullopt},
                  CreatePage{about(), "About", std::string("about"), std::string("Who we are")},
                  add("sec", "Section", json::object()),
                  add("h1", "Heading", {{"text", "Welcome"}}, "sec"),
                  add("img", "Image", {{"src", "/hero.png"}, {"alt", ""}}, "sec"),
                  add("cols", "Columns", {{"count", 2}}),
                  add("btn", "Button", {{"label", "Go"}, {"href", "https://example.com"}}, "cols"),
                  add("txt", "Text", {{"text", "*hi*"}}),
              });
}

SiteState deep(int depth) {
  SiteState s = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt}});
  for (int i = 1; i <= depth; ++i) {
    std::optional<std::string> parent;
    if (i > 1) parent = "s" + std::to_string(i - 1);
    run(s, add("s" + std::to_string(i), "Section", json::object(), parent));
  }
  return s;
}

void PrintTo(const Rule& r, std::ostream* os) { *os << r.name; }

Rule ok(std::string name, std::function<SiteState()> state, Command cmd, Events events, CommandMeta m) {
  return Rule{std::move(name), std::move(state), std::move(cmd), std::move(m), std::nullopt, {}, std::move(events)};
}

Rule no(std::string name, std::function<SiteState()> state, Command cmd, Errc code, std::string field,
        CommandMeta m) {
  return Rule{std::move(name), std::move(state), std::move(cmd), std::move(m), code, std::move(field), {}};
}

void expect_decides(const Rule& r) {
  SiteState s = r.state();
  auto res = decide(loaded_schemas(), s, r.m, r.cmd);
  if (r.error) {
    ASSERT_FALSE(res.ok()) << "accepted with " << res->size() << " events";
    EXPECT_EQ(errc_code(res.error().code), std::string(errc_code(*r.error))) << res.error().message;
    ASSERT_FALSE(res.error().details.empty());
    EXPECT_EQ(res.error().details[0].field, r.field) << res.error().details[0].message;
  } else {
    ASSERT_TRUE(res.ok()) << errc_code(res.error().code) << ": " << res.error().message << " ("
                          << (res.error().details.empty() ? "" : res.error().details[0].field) << ")";
    EXPECT_EQ(*res, r.events);
    for (const auto& e : *res) EXPECT_NO_THROW(apply(s, e));
  }
}

CommandMeta other_tenant() {
  CommandMeta m = meta();
  m.tenant = kOtherTenant;
  return m;
}

}  // namespace pw::domain::test
