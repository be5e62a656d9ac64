// The upcaster registry (events/upcast.hpp) and the event data schemas
// (schemas/events): pure steps, every version refused past the newest, and
// each version's data fitting its own schema.
#include <gtest/gtest.h>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/upcast.hpp"
#include "tests/upcast/fixture_log.hpp"

namespace pw::test::upcast {
namespace {

using json = nlohmann::json;
namespace d = domain;

const json kTopLevelV1 = {{"pageId", "s.home"}, {"componentId", "t"}, {"index", 0}};
const json kIntoSlotV1 = {{"pageId", "s.home"}, {"componentId", "t"}, {"index", 1},
                          {"parentId", "sec"}, {"slot", "children"}};

TEST(Upcasters, ComponentMovedOneToTwoPutsTheDestinationInTo) {
  auto top = d::component_moved_1_to_2(kTopLevelV1);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, (json{{"pageId", "s.home"}, {"componentId", "t"}, {"to", {{"index", 0}}}}));
  auto into = d::upcast("ComponentMoved", 1, kIntoSlotV1);
  ASSERT_TRUE(into.ok());
  EXPECT_EQ(into->version, 2);
  EXPECT_EQ(into->data, (json{{"pageId", "s.home"},
                              {"componentId", "t"},
                              {"to", {{"parentId", "sec"}, {"slot", "children"}, {"index", 1}}}}));
  // Pure: the same data in, the same data out, the caller's copy untouched.
  EXPECT_EQ(*d::component_moved_1_to_2(kIntoSlotV1), into->data);
  EXPECT_EQ(kIntoSlotV1.size(), 5u);
}

TEST(Upcasters, VersionOneDecodesToWhatVersionTwoWithoutFromDecodesTo) {
  auto v1 = d::event_from_json("ComponentMoved", 1, kIntoSlotV1);
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  const d::ComponentMoved want{PageId{"s.home"}, ComponentId{"t"}, ComponentId{"sec"}, "children", 1, std::nullopt};
  EXPECT_EQ(std::get<d::ComponentMoved>(*v1), want);
  auto v2 = d::event_from_json("ComponentMoved", 2, d::event_data(want));
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(*v2, *v1);
  EXPECT_EQ(d::event_schema_version(*v1), 2) << "read back and written again, it is version 2";
}

TEST(Upcasters, VersionTwoCarriesWhereTheComponentWas) {
  d::ComponentMoved e{PageId{"s.home"}, ComponentId{"t"}, std::nullopt, "", 0,
                      d::ComponentPosition{ComponentId{"sec"}, "children", 2}};
  const json data = d::event_data(e);
  EXPECT_EQ(data, (json{{"pageId", "s.home"},
                        {"componentId", "t"},
                        {"to", {{"index", 0}}},
                        {"from", {{"parentId", "sec"}, {"slot", "children"}, {"index", 2}}}}));
  auto back = d::event_from_json("ComponentMoved", 2, data);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(std::get<d::ComponentMoved>(*back), e);
}

std::vector<std::string> fields(const Error& e) {
  std::vector<std::string> out;
  for (const auto& d : e.details) out.push_back(d.field);
  return out;
}

TEST(Upcasters, MalformedDataOfEitherVersionIsRefusedNamingTheField) {
  // Version 1 never had `to`: not taken for version 2's.
  json with_to = kTopLevelV1;
  with_to["to"] = {{"index", 3}};
  auto r = d::event_from_json("ComponentMoved", 1, with_to);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::validation_error);
  EXPECT_EQ(fields(r.error()), std::vector<std::string>{"to"});
  // Version 2 has no top-level position.
  r = d::event_from_json("ComponentMoved", 2, kIntoSlotV1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields(r.error()), (std::vector<std::string>{"index", "parentId", "slot", "to"}));
  json no_index = kTopLevelV1;
  no_index.erase("index");
  r = d::event_from_json("ComponentMoved", 1, no_index);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields(r.error()), std::vector<std::string>{"to.index"});
  r = d::event_from_json("ComponentMoved", 2,
                         json{{"pageId", "p"}, {"componentId", "c"}, {"to", {{"index", 0}, {"slot", "x"}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields(r.error()), std::vector<std::string>{"to.slot"});
}

TEST(Upcasters, AVersionNewerThanTheCodeKnowsIsRefused) {
  const json v2 = {{"pageId", "s.home"}, {"componentId", "t"}, {"to", {{"index", 0}}}};
  for (const auto& [type, version, data] :
       {std::tuple{"ComponentMoved", 3, v2}, {"PagePublished", 2, json{{"pageId", "p"}, {"version", 1}}},
        {"ComponentMoved", 0, v2}}) {
    auto r = d::event_from_json(type, version, data);
    ASSERT_FALSE(r.ok()) << type << " " << version;
    EXPECT_EQ(r.error().code, Errc::validation_error);
    EXPECT_EQ(fields(r.error()), std::vector<std::string>{"schemaVersion"});
  }
}

TEST(Upcasters, EveryStepLeadsFromVersionOneToTheCurrentVersion) {
  ASSERT_FALSE(d::upcasters().empty());
  for (const auto& u : d::upcasters()) {
    EXPECT_TRUE(d::is_event_type(u.type)) << u.type;
    EXPECT_LT(u.from, d::event_schema_version(u.type)) << u.type;
    // Each version below the current one reaches it (on data the step accepts).
    auto up = d::upcast(u.type, u.from, json::object());
    ASSERT_TRUE(up.ok()) << u.type;
    EXPECT_EQ(up->version, d::event_schema_version(u.type)) << u.type;
  }
  EXPECT_FALSE(d::has_upcaster("ComponentMoved", 2));
  EXPECT_FALSE(d::has_upcaster("ComponentAdded", 1));
}

// --- schemas/events --------------------------------------------------------

std::vector<std::string> schema_errors(const std::string& file, const json& doc) {
  const json schema_doc = json::parse(read_file(std::filesystem::path(PW_SOURCE_DIR) / "schemas/events" / file));
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  std::vector<std::string> errors;
  if (!validator.validate(schema, adapter, &results)) {
    valijson::ValidationResults::Error e;
    while (results.popError(e)) errors.push_back(e.description);
  }
  return errors;
}

TEST(EventSchemas, FixtureVersionOneDataFitsVersionOneAndItsUpcastFitsVersionTwo) {
  int moves = 0;
  for (const auto& line : read_lines(kFixtures / "events_v1.ndjson")) {
    auto env = decode(line);
    ASSERT_TRUE(env.ok());
    if (env->type != "ComponentMoved") continue;
    ++moves;
    ASSERT_EQ(env->schema_version, 1);
    EXPECT_EQ(schema_errors("ComponentMoved.v1.json", env->data), std::vector<std::string>{}) << env->data;
    EXPECT_FALSE(schema_errors("ComponentMoved.v2.json", env->data).empty()) << env->data;
    auto up = d::upcast(env->type, 1, env->data);
    ASSERT_TRUE(up.ok());
    EXPECT_EQ(schema_errors("ComponentMoved.v2.json", up->data), std::vector<std::string>{}) << up->data;
  }
  EXPECT_EQ(moves, 4);
}

TEST(EventSchemas, WhatTheProcessorWritesFitsVersionTwo) {
  for (const auto& e : {d::ComponentMoved{PageId{"p"}, ComponentId{"c"}, ComponentId{"sec"}, "children", 0,
                                          d::ComponentPosition{std::nullopt, "", 3}},
                        d::ComponentMoved{PageId{"p"}, ComponentId{"c"}, std::nullopt, "", 1,
                                          d::ComponentPosition{ComponentId{"cols"}, "column2", 0}}}) {
    const json data = d::event_data(e);
    EXPECT_EQ(schema_errors("ComponentMoved.v2.json", data), std::vector<std::string>{}) << data;
    EXPECT_FALSE(schema_errors("ComponentMoved.v1.json", data).empty()) << data;
  }
  // A slot without its parent fits neither.
  EXPECT_FALSE(schema_errors("ComponentMoved.v2.json",
                             json{{"pageId", "p"}, {"componentId", "c"}, {"to", {{"index", 0}, {"slot", "x"}}}})
                   .empty());
}

}  // namespace
}  // namespace pw::test::upcast
