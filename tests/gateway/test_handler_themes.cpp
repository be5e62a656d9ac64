// GET /v1/themes: the built-in themes, to anyone signed in.
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using nlohmann::json;

TEST_F(HandlerTest, ThemesListsEveryBuiltInThemeWithItsCompleteTokens) {
  auto got = call("GET", "/v1/themes", token(Role::viewer));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  const json body = got.body();
  EXPECT_EQ(body["success"], true);
  ASSERT_TRUE(body["data"].is_array());
  std::vector<std::string> names;
  for (const auto& theme : body["data"]) {
    names.push_back(theme.value("name", ""));
    EXPECT_EQ(theme["tokens"].value("theme", ""), theme.value("name", ""));
    for (const char* group : {"colors", "typography", "spacing", "radii"}) {
      EXPECT_TRUE(theme["tokens"][group].is_object()) << theme.value("name", "") << " " << group;
    }
    EXPECT_TRUE(theme["tokens"]["colors"].contains("on-primary"));
    EXPECT_TRUE(theme["tokens"]["spacing"].contains("container"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"classic", "dark", "modern"}));
}

TEST_F(HandlerTest, ThemesNeedASignedInCallerAndOnlyAnswerGet) {
  auto anonymous = call("GET", "/v1/themes");
  EXPECT_EQ(anonymous.response.status, 401) << anonymous.response.body;
  EXPECT_EQ(anonymous.body()["error"].value("code", ""), "UNAUTHENTICATED");
  auto post = call("POST", "/v1/themes", token(Role::owner), "{}");
  EXPECT_EQ(post.response.status, 405) << post.response.body;
}

}  // namespace
}  // namespace pw::gateway
