// API.md "Limits" in the deciders: storable text, settings and page content
// sizes, Markdown tables, tree size; each at its boundary (exactly at the
// limit passes, one over fails with its code and field).
#include <gmock/gmock.h>

#include <cstdint>
#include <functional>
#include <ostream>

#include "commands/components.hpp"
#include "commands/markdown_limits.hpp"
#include "commands/validation.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

using E = Errc;

struct Case {
  std::string name;
  std::function<SiteState()> state;
  std::function<Command()> cmd;
  std::optional<Errc> error;  // nullopt: accepted
  std::string field;          // the first detail's field of a rejection
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Case pass(std::string name, std::function<SiteState()> state, std::function<Command()> cmd) {
  return Case{std::move(name), std::move(state), std::move(cmd), std::nullopt, {}};
}
Case fail(std::string name, std::function<SiteState()> state, std::function<Command()> cmd, Errc code,
          std::string field) {
  return Case{std::move(name), std::move(state), std::move(cmd), code, std::move(field)};
}

// --- storable text -----------------------------------------------------------------------------

UpdateSiteSettings settings_patch(json patch) {
  UpdateSiteSettings u;
  u.settings = std::move(patch);
  return u;
}

UpdatePageMetadata meta_update(std::optional<std::string> title, std::optional<std::string> canonical) {
  UpdatePageMetadata u;
  u.pageId = about();
  u.title = std::move(title);
  if (canonical) u.seo = PageSeoPatch{std::nullopt, std::move(canonical), std::nullopt};
  return u;
}

SiteState building() {
  return with(sample(), {RequestDeployment{make_deployment_id(site(), "d1"), "production", "all-at-once"},
                         StartDeployment{make_deployment_id(site(), "d1"), "builder-1"}});
}

// --- settings size -----------------------------------------------------------------------------

// {"k":"xx…x"} is 8 + n bytes.
json settings_of_bytes(size_t bytes) { return json{{"k", std::string(bytes - 8, 'x')}}; }

SiteState settings_60k() { return with(acme(), {settings_patch(settings_of_bytes(60000))}); }

// --- page content size -------------------------------------------------------------------------

json text_props(size_t n) { return json{{"text", std::string(n, 'x')}}; }

// The home page filled with Text components, the last one ("fill") sized so
// that exactly kRoom bytes are left under the limit.
constexpr size_t kRoom = 500;
constexpr size_t kFillText = 19000;

const SiteState& nearly_full() {
  static const SiteState st = [] {
    SiteState s = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt}});
    const auto own = [](const std::string& id, size_t n) {
      return component_own_bytes(ComponentId{id}, "Text", text_props(n));
    };
    for (int i = 0;; ++i) {
      const auto& content = s.pages.at(home()).content;
      const size_t room = kMaxPageContentBytes - content_bytes(content);
      const size_t comma = content.empty() ? 0 : 1;
      const std::string id = "t" + std::to_string(i);
      if (room >= own(id, kFillText) + comma + kRoom + own("fill", 0) + 1) {
        run(s, add(id, "Text", text_props(kFillText)));
        continue;
      }
      run(s, add("fill", "Text", text_props(room - kRoom - own("fill", 0) - comma)));
      return s;
    }
  }();
  return st;
}

size_t fill_length() {
  return nearly_full().pages.at(home()).content.back().props["text"].get_ref<const std::string&>().size();
}

// A Text "last" whose addition makes the content exactly `limit + over` bytes.
AddComponent add_text_to_fill(size_t over) {
  const size_t empty = component_own_bytes(ComponentId{"last"}, "Text", text_props(0)) + 1;  // + comma
  return add("last", "Text", text_props(kRoom - empty + over));
}

// Grows "fill" to make the content exactly `limit + over` bytes.
UpdateComponentProps grow_text_to_fill(size_t over) {
  return UpdateComponentProps{home(), ComponentId{"fill"}, text_props(fill_length() + kRoom + over)};
}

// --- Markdown tables ---------------------------------------------------------------------------

std::string row(int cells) {
  std::string r = "|";
  for (int i = 0; i < cells; ++i) r += " a |";
  return r;
}
std::string delimiter(int cells) {
  std::string r = "|";
  for (int i = 0; i < cells; ++i) r += "---|";
  return r;
}
std::string table(int columns) { return row(columns) + "\n" + delimiter(columns) + "\n"; }
// 50 columns × `rows` rows (header included).
std::string cells_table(int rows) {
  std::string md = table(50);
  for (int i = 1; i < rows; ++i) md += "| x |\n";
  return md;
}

std::vector<Case> cases() {
  const auto d1 = make_deployment_id(site(), "d1");
  return {
      // Storable text: every command's strings, values and keys, wherever they come from.
      fail("nul_in_title", sample, [] { return Command{CreatePage{page("p"), std::string("a\0b", 3), std::nullopt, std::nullopt}}; },
           E::validation_error, "title"),
      fail("control_in_canonical", sample, [] { return Command{meta_update(std::nullopt, "/x\x01")}; },
           E::validation_error, "seo.canonical"),
      fail("control_in_nested_setting", acme, [] { return Command{settings_patch(json{{"a", {{"b", "\x1f"}}}})}; },
           E::validation_error, "settings.a.b"),
      fail("control_in_setting_key", acme, [] { return Command{settings_patch(json{{"a", {{"b\x0b", 1}}}})}; },
           E::validation_error, "settings.a.b\x0b"),
      fail("control_in_array_item", acme, [] { return Command{settings_patch(json{{"a", {"ok", "\x7f"}}})}; },
           E::validation_error, "settings.a[1]"),
      fail("c1_control_in_props", sample, [] { return Command{add("t2", "Text", {{"text", "x\xc2\x85y"}})}; },
           E::validation_error, "props.text"),
      fail("control_in_patch", sample,
           [] { return Command{UpdateComponentProps{home(), ComponentId{"txt"}, {{"text", "\x1b[31m"}}}}; },
           E::validation_error, "patch.text"),
      fail("control_in_build_report_log", building,
           [d1] { return Command{FailDeployment{DeploymentFailed{d1, "failed", {"ok", "bad\x07"}}}}; },
           E::validation_error, "log[1]"),
      fail("nul_in_build_failure_reason", building,
           [d1] { return Command{FailDeployment{DeploymentFailed{d1, std::string("x\0", 2), {}}}}; },
           E::validation_error, "reason"),
      pass("tab_cr_lf_are_text", sample,
           [] { return Command{add("t2", "Text", {{"text", "a\tb\r\nc\n"}})}; }),
      // U+00A0 (C2 A0) is next to the C1 range but is text; U+202E is a
      // bidi override: valid text that the renderer escapes like any other.
      pass("nbsp_and_bidi_override_are_text", sample,
           [] { return Command{meta_update("x\xc2\xa0y\xe2\x80\xae", std::nullopt)}; }),

      // Site settings: ≤ 64 KiB serialized, after the merge.
      pass("settings_at_64KiB", acme, [] { return Command{settings_patch(settings_of_bytes(kMaxSettingsBytes))}; }),
      fail("settings_over_64KiB", acme,
           [] { return Command{settings_patch(settings_of_bytes(kMaxSettingsBytes + 1))}; },
           E::payload_too_large, "settings"),
      // {"k":…60000…,"m":"…"} = 60000 + 7 + n.
      pass("merged_settings_at_64KiB", settings_60k,
           [] { return Command{settings_patch(json{{"m", std::string(kMaxSettingsBytes - 60007, 'y')}})}; }),
      fail("merged_settings_over_64KiB", settings_60k,
           [] { return Command{settings_patch(json{{"m", std::string(kMaxSettingsBytes - 60006, 'y')}})}; },
           E::payload_too_large, "settings"),
      fail("settings_deeper_than_64", acme,
           [] {
             json deep = 1;
             for (int i = 0; i < kMaxJsonDepth + 1; ++i) deep = json{{"d", deep}};
             return Command{settings_patch(deep)};
           },
           E::validation_error, "settings"),

      // A page's content: ≤ 1 MiB serialized.
      pass("content_at_1MiB_by_add", [] { return nearly_full(); }, [] { return Command{add_text_to_fill(0)}; }),
      fail("content_over_1MiB_by_add", [] { return nearly_full(); }, [] { return Command{add_text_to_fill(1)}; },
           E::payload_too_large, "props"),
      pass("content_at_1MiB_by_props", [] { return nearly_full(); },
           [] { return Command{grow_text_to_fill(0)}; }),
      fail("content_over_1MiB_by_props", [] { return nearly_full(); },
           [] { return Command{grow_text_to_fill(1)}; }, E::payload_too_large, "props"),

      // Markdown tables in Text and Card: ≤ 64 columns, ≤ 5,000 cells.
      pass("text_table_64_columns", sample, [] { return Command{add("t2", "Text", {{"text", table(64)}})}; }),
      fail("text_table_65_columns", sample, [] { return Command{add("t2", "Text", {{"text", table(65)}})}; },
           E::unprocessable, "props.text"),
      pass("text_tables_5000_cells", sample, [] { return Command{add("t2", "Text", {{"text", cells_table(100)}})}; }),
      fail("text_tables_5001_cells", sample,
           [] { return Command{add("t2", "Text", {{"text", cells_table(100) + "| x |\n"}})}; }, E::unprocessable,
           "props.text"),
      fail("text_table_by_patch", sample,
           [] { return Command{UpdateComponentProps{home(), ComponentId{"txt"}, {{"text", table(65)}}}}; },
           E::unprocessable, "props.text"),
      pass("card_table_64_columns", sample,
           [] { return Command{add("c", "Card", {{"title", "t"}, {"body", table(64)}})}; }),
      fail("card_table_65_columns", sample,
           [] { return Command{add("c", "Card", {{"title", "t"}, {"body", table(65)}})}; }, E::unprocessable,
           "props.body"),
  };
}

class LimitTest : public ::testing::TestWithParam<Case> {};

TEST_P(LimitTest, Decides) {
  const Case& c = GetParam();
  SiteState s = c.state();
  const Command cmd = c.cmd();
  auto res = decide(loaded_schemas(), s, meta(), cmd);
  if (c.error) {
    ASSERT_FALSE(res.ok()) << "accepted with " << res->size() << " events";
    EXPECT_EQ(errc_code(res.error().code), std::string(errc_code(*c.error))) << res.error().message;
    ASSERT_FALSE(res.error().details.empty());
    EXPECT_EQ(res.error().details[0].field, c.field) << res.error().details[0].message;
  } else {
    ASSERT_TRUE(res.ok()) << errc_code(res.error().code) << ": " << res.error().message << " ("
                          << (res.error().details.empty() ? "" : res.error().details[0].field) << ": "
                          << (res.error().details.empty() ? "" : res.error().details[0].message) << ")";
    EXPECT_FALSE(res->empty());
    for (const auto& e : *res) EXPECT_NO_THROW(apply(s, e));
  }
}

INSTANTIATE_TEST_SUITE_P(Deciders, LimitTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Limits, ControlCharacterMessagesNameTheCharacter) {
  auto r = decide(loaded_schemas(), sample(), meta(), CreatePage{page("p"), std::string("a\0b", 3), std::nullopt, std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().details[0].message, ::testing::HasSubstr("U+0000"));
}

TEST(Limits, EveryCcButTabCrLfIsRefused) {
  for (uint32_t cp = 0; cp < 0x100; ++cp) {
    const bool refused = cp < 0x20 ? (cp != '\t' && cp != '\n' && cp != '\r') : (cp >= 0x7f && cp <= 0x9f);
    EXPECT_EQ(is_refused_control(cp), refused) << cp;
  }
  EXPECT_EQ(first_refused_control("caf\xc3\xa9 \xe2\x80\xae"), std::nullopt);
  EXPECT_EQ(first_refused_control("x\xc2\x9f"), 0x9fu);
}

TEST(Limits, JsonBytesIsTheDumpedSize) {
  const json values[] = {
      nullptr, true, false, 0, -1, 7, INT64_MIN, INT64_MAX, UINT64_MAX, 1.5, -0.25, 1e300, 3.0,
      "", "plain", "\"q\" \\ / \b\f\n\r\t \x01\x1f \x7f caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80",
      json::array(), json::object(), json{{"a", {1, "x", nullptr, {{"k\n", 2.5}}}}, {"b", json::object()}},
  };
  for (const json& v : values) EXPECT_EQ(json_bytes(v), v.dump().size()) << v.dump();
}

TEST(Limits, ContentBytesIsTheSerializedContent) {
  for (const SiteState& s : {sample(), deep(32), nearly_full()}) {
    for (const auto& [id, p] : s.pages) {
      json content = json::array();
      for (const auto& c : p.content) content.push_back(component_to_json(c));
      EXPECT_EQ(content_bytes(p.content), content.dump().size()) << id.value;
      EXPECT_EQ(p.contentBytes, content.dump().size()) << id.value << ": kept by apply";
    }
  }
}

TEST(Limits, ContentBytesFollowsEveryEdit) {
  SiteState s = sample();
  const auto check = [&](const char* step) {
    const PageState& p = s.pages.at(home());
    json content = json::array();
    for (const auto& c : p.content) content.push_back(component_to_json(c));
    EXPECT_EQ(p.contentBytes, content.dump().size()) << step;
  };
  check("sample");
  run(s, MoveComponent{home(), ComponentId{"sec"}, ComponentId{"cols"}, "column2", 0});
  check("into an empty slot");
  run(s, MoveComponent{home(), ComponentId{"h1"}, std::nullopt, std::nullopt, 0});
  check("out to the top level");
  run(s, MoveComponent{home(), ComponentId{"img"}, ComponentId{"cols"}, "column1", 1});
  check("out of a list it was alone in");
  run(s, UpdateComponentProps{home(), ComponentId{"cols"}, {{"count", 4}}});
  check("more slots");
  run(s, UpdateComponentProps{home(), ComponentId{"txt"}, {{"text", "\"quoted\" \\ \t caf\u00e9"}}});
  check("escaped text");
  run(s, RemoveComponent{home(), ComponentId{"cols"}});
  check("a subtree removed");
  run(s, RemoveComponent{home(), ComponentId{"h1"}});
  run(s, RemoveComponent{home(), ComponentId{"txt"}});
  check("empty");
  EXPECT_EQ(s.pages.at(home()).contentBytes, 2u);
}

TEST(Limits, AFullPageStillTakesAChangeThatShrinksIt) {
  SiteState s = nearly_full();
  EXPECT_EQ(content_bytes(s.pages.at(home()).content), kMaxPageContentBytes - kRoom);
  run(s, add_text_to_fill(0));
  EXPECT_EQ(content_bytes(s.pages.at(home()).content), kMaxPageContentBytes);
  run(s, UpdateComponentProps{home(), ComponentId{"t1"}, text_props(10)});
  run(s, RemoveComponent{home(), ComponentId{"t2"}});
}

// --- settings events carry what changed ---------------------------------------------------------

TEST(SettingsEvents, CarryTheChangeNotTheWholeObject) {
  SiteState s = with(acme(), {settings_patch(json{{"nav", {{"a", 1}, {"b", 2}}}, {"big", std::string(50000, 'x')}})});
  auto r = decide(loaded_schemas(), s, meta(), settings_patch(json{{"nav", {{"b", nullptr}, {"c", 3}}}}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  const auto& ev = std::get<SiteSettingsUpdated>(r->front());
  EXPECT_EQ(ev.settings, std::nullopt);
  EXPECT_EQ(ev.settingsPatch, (json{{"nav", {{"b", nullptr}, {"c", 3}}}}));
  EXPECT_LT(event_data(r->front()).dump().size(), 200u);
  EXPECT_EQ(event_schema_version(r->front()), 2);
  apply(s, r->front());
  EXPECT_EQ(s.settings, (json{{"nav", {{"a", 1}, {"c", 3}}}, {"big", std::string(50000, 'x')}}));
}

TEST(SettingsEvents, ThePatchIsMinimal) {
  const json from = {{"same", {{"x", 1}}}, {"gone", 1}, {"arr", {1, 2}}, {"obj", {{"k", 1}, {"l", 2}}}};
  const json to = {{"same", {{"x", 1}}}, {"arr", {1, 3}}, {"obj", {{"k", 1}}}, {"new", "n"}};
  const json patch = merge_patch_diff(from, to);
  EXPECT_EQ(patch, (json{{"gone", nullptr}, {"arr", {1, 3}}, {"obj", {{"l", nullptr}}}, {"new", "n"}}));
  json folded = from;
  folded.merge_patch(patch);
  EXPECT_EQ(folded, to);
  EXPECT_EQ(merge_patch_diff(to, to), json::object());
}

// Version-1 bytes as they were stored before version 2 existed.
constexpr std::string_view kStoredV1 =
    R"({"id":"6f1c2b8a-0000-5000-8000-000000000001","type":"SiteSettingsUpdated","schemaVersion":1,)"
    R"("tenantId":"tenant-1","siteId":"SITE","aggregate":{"type":"site","id":"SITE","version":2},"seq":2,)"
    R"("occurredAt":"2024-05-01T12:00:00.000000Z","actor":"user-1","commandId":"cmd-1",)"
    R"("correlationId":"cmd-1","causationId":"cmd-1",)"
    R"("prevHash":"0000000000000000000000000000000000000000000000000000000000000000",)"
    R"("data":{"settings":{"nav":{"a":1},"theme":"dark"},"siteId":"SITE"}})";

std::string stored_v1() {
  std::string bytes(kStoredV1);
  for (size_t at; (at = bytes.find("SITE")) != std::string::npos;) bytes.replace(at, 4, site().value);
  return bytes;
}

TEST(SettingsEvents, StoredVersion1EventsReplayToTheSameState) {
  const std::string bytes = stored_v1();
  auto env = decode(bytes);
  ASSERT_TRUE(env.ok()) << env.error().message;
  ASSERT_EQ(env->schema_version, 1);
  auto ev = event_from_json(env->type, env->schema_version, env->data);
  ASSERT_TRUE(ev.ok()) << ev.error().message;

  // Folding version 1 replaces the object, as it always did.
  SiteState s = with(acme(), {settings_patch(json{{"old", true}})});
  apply(s, *ev);
  EXPECT_EQ(s.settings, (json{{"nav", {{"a", 1}}}, {"theme", "dark"}}));

  // A version-2 change on top folds by its patch.
  auto r = decide(loaded_schemas(), s, meta(), settings_patch(json{{"theme", nullptr}}));
  ASSERT_TRUE(r.ok());
  apply(s, r->front());
  EXPECT_EQ(s.settings, (json{{"nav", {{"a", 1}}}}));

  // Read back and written again, the stored bytes (and so their hash) are the same.
  EXPECT_EQ(event_schema_version(*ev), 1);
  Envelope again = *env;
  again.data = event_data(*ev);
  EXPECT_EQ(encode(again), bytes);
  EXPECT_EQ(sha256_hex(encode(again)), sha256_hex(bytes));
}

TEST(SettingsEvents, EachVersionDecodesOnlyItsOwnShape) {
  const json v1 = {{"siteId", site().value}, {"settings", {{"a", 1}}}};
  const json v2 = {{"siteId", site().value}, {"settingsPatch", {{"a", nullptr}}}};
  EXPECT_TRUE(event_from_json("SiteSettingsUpdated", 1, v1).ok());
  EXPECT_TRUE(event_from_json("SiteSettingsUpdated", 2, v2).ok());
  auto r = event_from_json("SiteSettingsUpdated", 1, v2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "settingsPatch");
  r = event_from_json("SiteSettingsUpdated", 2, v1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "settings");
  EXPECT_FALSE(event_from_json("SiteSettingsUpdated", 3, v2).ok());
  EXPECT_EQ(event_schema_version("SiteSettingsUpdated"), 2);
  EXPECT_EQ(event_schema_version("PageDeleted"), kEventSchemaVersion);
}

TEST(PageCreatedEvents, BlankPagesStayVersion1AndContentNeedsVersion2) {
  const json v1 = {{"pageId", home().value}, {"title", "Home"}, {"slug", ""}, {"description", ""}};
  json v2 = v1;
  v2["content"] = json::array();
  v2["templateId"] = "blank";
  EXPECT_EQ(event_schema_version("PageCreated"), kPageCreatedVersion);
  auto blank = event_from_json("PageCreated", 1, v1);
  ASSERT_TRUE(blank.ok());
  EXPECT_EQ(event_schema_version(*blank), 1);  // written back exactly as version 1
  EXPECT_EQ(event_data(*blank), v1);
  auto from_template = event_from_json("PageCreated", 2, v2);
  ASSERT_TRUE(from_template.ok()) << from_template.error().message;
  EXPECT_EQ(event_schema_version(*from_template), 2);
  auto r = event_from_json("PageCreated", 1, v2);  // version 1 had no content
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "content");
  EXPECT_FALSE(event_from_json("PageCreated", 3, v1).ok());
}

}  // namespace
}  // namespace pw::domain::test

namespace pw::domain {
namespace {

TEST(ReportText, StorableTextReplacesWhatCannotBeStoredAndCutsAtTheLimit) {
  EXPECT_EQ(storable_text("plain", 10), "plain");
  EXPECT_EQ(storable_text(std::string("a\0b\x1b[1m\tc\n", 10), 20), "a\xef\xbf\xbd" "b\xef\xbf\xbd[1m\tc\n");
  EXPECT_EQ(storable_text("x\xff\xc0\xafy\xc2\x85", 20), "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd");
  EXPECT_EQ(storable_text("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3), "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
  EXPECT_EQ(storable_text("abcdef", 4), "abc\xe2\x80\xa6");
  EXPECT_EQ(utf8_length(storable_text(std::string(5000, 'z'), kMaxReportLine)), int64_t(kMaxReportLine));
}

TEST(ReportText, AFittedLogIsWithinEveryReportLimit) {
  std::vector<std::string> log;
  for (int i = 0; i < 500; ++i) log.push_back(std::string("page \0\xff ", 8) + std::string(3000, 'x'));
  fit_report_log(log);
  ASSERT_LE(log.size(), kMaxReportLines);
  size_t bytes = 0;
  for (const auto& line : log) {
    EXPECT_TRUE(valid_text(line, kMaxReportLine, true)) << line.substr(0, 40);
    EXPECT_FALSE(first_refused_control(line).has_value());
    bytes += line.size();
  }
  EXPECT_LE(bytes, kMaxReportLogBytes + 64);
  EXPECT_NE(log.back().find("more line(s) left out"), std::string::npos) << log.back();
  std::vector<std::string> small = {"one", "two"};
  fit_report_log(small);
  EXPECT_EQ(small, (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace pw::domain
