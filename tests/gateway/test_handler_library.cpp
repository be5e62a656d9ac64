// GET /v1/component-library: the schemas, or the Puck configuration derived
// from them, to anyone signed in; an unknown format is a 400 naming it.
#include "commands/components.hpp"
#include "tests/support/schemas.hpp"
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using nlohmann::json;

TEST_F(HandlerTest, ComponentLibraryAnswersTheSchemasByDefault) {
  auto got = call("GET", "/v1/component-library", token(Role::viewer));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  const json data = got.body()["data"];
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.size(), domain::component_types().size());
  for (std::string_view type : domain::component_types()) {
    const json& schema = data[std::string(type)];
    EXPECT_EQ(schema.value("title", ""), type);
    EXPECT_EQ(schema.value("additionalProperties", true), false) << type;
  }
  EXPECT_EQ(data["Video"]["required"], (json{"url", "title"}));
  auto explicit_format = call("GET", "/v1/component-library?format=json-schema", token(Role::viewer));
  ASSERT_EQ(explicit_format.response.status, 200);
  EXPECT_EQ(explicit_format.body()["data"], data);
}

TEST_F(HandlerTest, ComponentLibraryAnswersThePuckConfig) {
  auto got = call("GET", "/v1/component-library?format=puck", token(Role::viewer));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  const json data = got.body()["data"];
  ASSERT_TRUE(data["components"].is_object());
  EXPECT_EQ(data["components"].size(), domain::component_types().size());
  for (const auto& [type, c] : data["components"].items()) {
    EXPECT_TRUE(c["fields"].is_object()) << type;
    EXPECT_TRUE(pw::test::test_schemas()->validate_component_props(type, c["defaultProps"]).ok()) << type;
  }
  EXPECT_EQ(data["components"]["Faq"]["fields"]["items"]["type"], "array");
  EXPECT_EQ(data["components"]["Section"]["fields"]["children"]["type"], "slot");
  EXPECT_EQ(data["components"]["Image"]["fields"]["src"]["format"], "image");
  for (const char* category : {"layout", "content", "media", "navigation"}) {
    EXPECT_FALSE(data["categories"][category]["components"].empty()) << category;
  }
  // The same bytes every time: built once.
  auto again = call("GET", "/v1/component-library?format=puck", token(Role::editor));
  EXPECT_EQ(again.body()["data"], data);
}

TEST_F(HandlerTest, ComponentLibraryRefusesAnUnknownFormatAndAnonymousCallers) {
  for (const char* format : {"html", "PUCK", ""}) {
    auto got = call("GET", std::string("/v1/component-library?format=") + format, token(Role::viewer));
    ASSERT_EQ(got.response.status, 400) << format << ": " << got.response.body;
    const json err = got.body()["error"];
    EXPECT_EQ(err.value("code", ""), "VALIDATION_ERROR");
    ASSERT_FALSE(err["details"].empty());
    EXPECT_EQ(err["details"][0].value("field", ""), "format");
  }
  auto anonymous = call("GET", "/v1/component-library");
  EXPECT_EQ(anonymous.response.status, 401) << anonymous.response.body;
  EXPECT_EQ(anonymous.body()["error"].value("code", ""), "UNAUTHENTICATED");
  auto post = call("POST", "/v1/component-library", token(Role::owner), "{}");
  EXPECT_EQ(post.response.status, 405) << post.response.body;
}

}  // namespace
}  // namespace pw::gateway
