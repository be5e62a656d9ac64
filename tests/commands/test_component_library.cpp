// The component types beyond the first nine (Video, Gallery, Quote, List, Faq,
// Navbar, Footer, Divider): their props through the AddComponent decider,
// hostile ones included, and the editor configuration derived from every
// schema (GET /v1/component-library?format=puck).
#include <gmock/gmock.h>

#include "commands/component_library.hpp"
#include "commands/components.hpp"
#include "commands/deciders.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

json images(size_t n) {
  json a = json::array();
  for (size_t i = 0; i < n; ++i) a.push_back({{"src", "/g" + std::to_string(i) + ".jpg"}, {"alt", "g"}});
  return a;
}

json items_of(const char* key, size_t n) {
  json a = json::array();
  for (size_t i = 0; i < n; ++i) a.push_back({{key, "x"}});
  return a;
}

std::vector<Rule> rules() {
  using E = Errc;
  const std::string script = "<script>alert(1)</script>";
  const json video = {{"url", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"}, {"title", "Big Buck Bunny"}};
  return {
      ok("video_youtube", sample, add("v", "Video", video), {}),
      ok("video_vimeo_player", sample,
         add("v", "Video", {{"url", "https://player.vimeo.com/video/76979871"}, {"title", "t"}}), {}),
      no("video_other_host", sample, add("v", "Video", {{"url", "https://evil.example/embed/x"}, {"title", "t"}}),
         E::unprocessable, "props.url"),
      no("video_lookalike_host", sample,
         add("v", "Video", {{"url", "https://youtube.com.evil.example/watch?v=aqz-KE-bpKQ"}, {"title", "t"}}),
         E::unprocessable, "props.url"),
      no("video_javascript", sample, add("v", "Video", {{"url", "javascript:alert(1)"}, {"title", "t"}}),
         E::unprocessable, "props.url"),
      no("video_without_title", sample, add("v", "Video", {{"url", video["url"]}}), E::unprocessable,
         "props.title"),
      no("video_extra_prop", sample, add("v", "Video", {{"url", video["url"]}, {"title", "t"}, {"html", script}}),
         E::unprocessable, "props.html"),
      ok("gallery", sample, add("g", "Gallery", {{"images", images(48)}, {"columns", 4}}), {}),
      no("gallery_javascript_src", sample,
         add("g", "Gallery", {{"images", {{{"src", "/a.jpg"}, {"alt", ""}}, {{"src", "javascript:alert(1)"}, {"alt", ""}}}}}),
         E::unprocessable, "props.images.1.src"),
      no("gallery_too_many_images", sample, add("g", "Gallery", {{"images", images(49)}}), E::unprocessable,
         "props.images"),
      no("gallery_columns_wrong_type", sample, add("g", "Gallery", {{"columns", "3"}}), E::unprocessable,
         "props.columns"),
      no("gallery_image_without_alt", sample, add("g", "Gallery", {{"images", {{{"src", "/a.jpg"}}}}}),
         E::unprocessable, "props.images.0.alt"),
      ok("quote_with_markup_is_text", sample, add("q", "Quote", {{"text", script}, {"cite", script}}), {}),
      no("quote_too_long", sample, add("q", "Quote", {{"text", std::string(2001, 'q')}}), E::unprocessable,
         "props.text"),
      ok("list", sample, add("l", "List", {{"items", items_of("text", 100)}, {"ordered", true}}), {}),
      no("list_too_many_items", sample, add("l", "List", {{"items", items_of("text", 101)}}), E::unprocessable,
         "props.items"),
      no("list_of_strings", sample, add("l", "List", {{"items", {"a", "b"}}}), E::unprocessable, "props.items.0"),
      no("list_ordered_wrong_type", sample, add("l", "List", {{"ordered", "yes"}}), E::unprocessable,
         "props.ordered"),
      ok("faq", sample, add("f", "Faq", {{"items", {{{"question", "Q?"}, {"answer", script}}}}}), {}),
      no("faq_too_many", sample,
         add("f", "Faq", {{"items", json(std::vector<json>(51, {{"question", "q"}, {"answer", "a"}}))}}),
         E::unprocessable, "props.items"),
      no("faq_question_missing", sample, add("f", "Faq", {{"items", {{{"answer", "a"}}}}}), E::unprocessable,
         "props.items.0.question"),
      ok("navbar_empty", sample, add("n", "Navbar", json::object()), {}),
      no("navbar_javascript_href", sample,
         add("n", "Navbar", {{"links", {{{"label", "x"}, {"href", "JaVaScRiPt:alert(1)"}}}}}), E::unprocessable,
         "props.links.0.href"),
      no("navbar_too_many_links", sample,
         add("n", "Navbar", {{"links", json(std::vector<json>(21, {{"label", "x"}, {"href", "/"}}))}}),
         E::unprocessable, "props.links"),
      no("footer_data_href", sample,
         add("f", "Footer", {{"text", "t"}, {"links", {{{"label", "x"}, {"href", "data:text/html,x"}}}}}),
         E::unprocessable, "props.links.0.href"),
      no("footer_links_wrong_type", sample, add("f", "Footer", {{"links", "x"}}), E::unprocessable,
         "props.links"),
      no("divider_takes_no_props", sample, add("d", "Divider", {{"size", "large"}}), E::unprocessable,
         "props.size"),
  };
}

// An accepted row's events are whatever AddComponent makes; only refusals are compared exactly.
class NewTypes : public ::testing::TestWithParam<Rule> {};
TEST_P(NewTypes, Decide) {
  const Rule& r = GetParam();
  if (r.error) return expect_decides(r);
  SiteState s = r.state();
  auto res = decide(loaded_schemas(), s, r.m, r.cmd);
  ASSERT_TRUE(res.ok()) << res.error().message << " "
                        << (res.error().details.empty() ? "" : res.error().details[0].field);
  EXPECT_EQ(res->size(), 1u);
}
INSTANTIATE_TEST_SUITE_P(Components, NewTypes, ::testing::ValuesIn(rules()),
                         [](const auto& info) { return info.param.name; });

TEST(Videos, OnlyYouTubeAndVimeoVideosEmbed) {
  const std::vector<std::pair<std::string, std::string>> ok = {
      {"https://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://youtube.com/watch?feature=share&v=aqz-KE-bpKQ&t=10", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"HTTPS://M.YOUTUBE.COM/watch?v=aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://youtu.be/aqz-KE-bpKQ?si=x", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://www.youtube.com/embed/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://www.youtube.com/shorts/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"},
      {"https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"},
      {"http://www.vimeo.com/76979871#t=3", "https://player.vimeo.com/video/76979871?dnt=1"},
      {"https://player.vimeo.com/video/76979871?h=abc", "https://player.vimeo.com/video/76979871?dnt=1"},
  };
  for (const auto& [url, player] : ok) {
    auto v = video_embed(url);
    ASSERT_TRUE(v.has_value()) << url;
    EXPECT_EQ(video_player_url(*v), player) << url;
  }
  for (std::string_view bad :
       {"https://evil.example/watch?v=aqz-KE-bpKQ", "https://youtube.com.evil.example/watch?v=aqz-KE-bpKQ",
        "https://evil.example/?x=https://youtu.be/aqz-KE-bpKQ", "https://user@youtube.com/watch?v=aqz-KE-bpKQ",
        "https://youtube.com:8080/watch?v=aqz-KE-bpKQ", "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=aqz-KE-bpKQ\"onload", "https://www.youtube.com/embed/aqz-KE-bpK%22",
        "https://www.youtube.com/watch?vv=aqz-KE-bpKQ", "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/76979871abc", "https://player.vimeo.com/video/", "//youtu.be/aqz-KE-bpKQ",
        "javascript:alert(1)//youtu.be/aqz-KE-bpKQ", "https://youtu.be/aqz-KE-bpKQ\n", "ftp://youtu.be/aqz-KE-bpKQ",
        "/watch?v=aqz-KE-bpKQ", ""}) {
    EXPECT_FALSE(video_embed(bad).has_value()) << bad;
  }
}

const json& puck() {
  static const json config = [] {
    auto c = puck_config(loaded_schemas().component_documents());
    return c.ok() ? *c : json();
  }();
  return config;
}

TEST(Puck, EverySchemaIsAComponentWithEveryPropAndSlotAsAField) {
  const json& schemas = loaded_schemas().component_documents();
  ASSERT_TRUE(schemas.is_object());
  ASSERT_TRUE(puck().is_object());
  ASSERT_EQ(puck()["components"].size(), component_types().size());
  ASSERT_EQ(schemas.size(), component_types().size());
  for (const auto& [type, schema] : schemas.items()) {
    ASSERT_TRUE(puck()["components"].contains(type)) << type;
    const json& c = puck()["components"][type];
    EXPECT_EQ(c["label"], schema["title"]) << type;
    const json& fields = c["fields"];
    size_t slots = component_all_slots(type).size();
    EXPECT_EQ(fields.size(), schema["properties"].size() + slots) << type;
    for (const auto& [prop, spec] : schema["properties"].items()) {
      ASSERT_TRUE(fields.contains(prop)) << type << "." << prop;
      EXPECT_THAT(fields[prop].value("type", ""),
                  ::testing::AnyOf("text", "textarea", "number", "select", "radio", "array"))
          << type << "." << prop;
      EXPECT_EQ(fields[prop]["label"], spec["title"]) << type << "." << prop;
    }
    for (std::string_view slot : component_all_slots(type)) {
      EXPECT_EQ(fields[std::string(slot)].value("type", ""), "slot") << type << "." << slot;
    }
  }
}

// A component dropped from the editor's palette holds defaultProps: the
// decider accepts it as it is.
TEST(Puck, DefaultPropsOfEveryTypeAreAcceptedByTheDecider) {
  ASSERT_TRUE(puck().is_object());
  for (const auto& [type, c] : puck()["components"].items()) {
    const json& props = c["defaultProps"];
    auto valid = loaded_schemas().validate_component_props(type, props);
    EXPECT_TRUE(valid.ok()) << type << " " << props.dump() << ": "
                            << (valid.ok() ? "" : valid.error().details.at(0).field);
    SiteState s = sample();
    auto events = decide(loaded_schemas(), s, meta(), add("dropped", type, props));
    EXPECT_TRUE(events.ok()) << type;
    for (const auto& [prop, field] : c["fields"].items()) {
      if (field.value("type", "") != "array") continue;
      json with_item = props;
      with_item[prop] = json::array({field["defaultItemProps"]});
      EXPECT_TRUE(loaded_schemas().validate_component_props(type, with_item).ok()) << type << "." << prop << " with a new item";
    }
  }
  EXPECT_EQ(puck()["components"]["Heading"]["defaultProps"], (json{{"text", "Heading"}, {"level", 2}}));
}

TEST(Puck, FieldsFollowTheSchemas) {
  const json& c = puck()["components"];
  EXPECT_EQ(c["Heading"]["fields"]["level"],
            (json{{"type", "number"}, {"min", 1}, {"max", 6}, {"step", 1}, {"label", "Level"}}));
  EXPECT_EQ(c["Heading"]["fields"]["align"]["type"], "select");
  EXPECT_EQ(c["Heading"]["fields"]["align"]["options"][1], (json{{"label", "Center"}, {"value", "center"}}));
  EXPECT_EQ(c["Heading"]["fields"]["text"]["type"], "text");
  EXPECT_EQ(c["Text"]["fields"]["text"], (json{{"type", "textarea"}, {"format", "markdown"}, {"label", "Text"}}));
  EXPECT_EQ(c["Card"]["fields"]["body"]["format"], "markdown");
  EXPECT_EQ(c["Hero"]["fields"]["subtitle"]["type"], "textarea");  // maxLength 500
  for (const auto& [type, prop] : std::vector<std::pair<std::string, std::string>>{
           {"Image", "src"}, {"Hero", "image"}, {"Card", "image"}}) {
    EXPECT_EQ(c[type]["fields"][prop]["format"], "image") << type;
  }
  EXPECT_EQ(c["Button"]["fields"]["href"]["format"], "url");
  EXPECT_EQ(c["Video"]["fields"]["url"]["format"], "url");
  EXPECT_EQ(c["List"]["fields"]["ordered"]["type"], "radio");
  EXPECT_EQ(c["List"]["fields"]["ordered"]["options"],
            json::parse(R"([{"label":"Yes","value":true},{"label":"No","value":false}])"));
  const json& gallery = c["Gallery"]["fields"]["images"];
  EXPECT_EQ(gallery["type"], "array");
  EXPECT_EQ(gallery["max"], 48);
  EXPECT_EQ(gallery["arrayFields"]["src"]["format"], "image");
  EXPECT_EQ(gallery["arrayFields"]["alt"]["label"], "Alternative text");
  EXPECT_TRUE(gallery["defaultItemProps"].contains("src"));
  EXPECT_EQ(c["Faq"]["fields"]["items"]["arrayFields"]["answer"]["type"], "textarea");
  EXPECT_EQ(c["Navbar"]["fields"]["links"]["arrayFields"]["href"]["format"], "url");
  EXPECT_EQ(c["Section"]["fields"]["children"], (json{{"type", "slot"}, {"label", "Children"}}));
  EXPECT_EQ(c["Columns"]["fields"]["column4"], (json{{"type", "slot"}, {"label", "Column 4"}}));
  EXPECT_FALSE(c["Columns"]["defaultProps"].contains("column1"));  // slots are not props
  EXPECT_TRUE(c["Divider"]["fields"].empty());
}

TEST(Puck, CategoriesHoldEveryTypeOnce) {
  std::vector<std::string> seen;
  for (const auto& [name, category] : puck()["categories"].items()) {
    EXPECT_THAT(name, ::testing::AnyOf("layout", "content", "media", "navigation"));
    EXPECT_TRUE(category["title"].is_string());
    for (const auto& t : category["components"]) seen.push_back(t.get<std::string>());
  }
  std::vector<std::string> types(component_types().begin(), component_types().end());
  EXPECT_THAT(seen, ::testing::UnorderedElementsAreArray(types));
  EXPECT_THAT(puck()["categories"]["media"]["components"], ::testing::ElementsAre("Image", "Video", "Gallery"));
}

TEST(Puck, ArraysOfStringsBecomeValueItems) {
  auto f = puck_field("tags", json::parse(R"({"type":"array","maxItems":5,
      "items":{"type":"string","minLength":1,"maxLength":40}})"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(*f, json::parse(R"({"type":"array","format":"strings","max":5,"label":"Tags",
      "arrayFields":{"value":{"type":"text","label":"Value"}},"defaultItemProps":{"value":"Value"}})"));
}

TEST(Puck, ShapesWithoutAFieldAreRefusedByName) {
  for (const char* bad : {R"({"type":"object","properties":{}})", R"({"type":"array","items":{"type":"integer"}})",
                          R"({"type":"string","x-pagewright-format":"html"})", R"({"enum":[]})", R"({})"}) {
    auto f = puck_field("odd", json::parse(bad));
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.error().code, Errc::internal);
    EXPECT_NE(f.error().message.find("odd"), std::string::npos) << f.error().message;
  }
  EXPECT_FALSE(puck_config(json()).ok());
  json missing = loaded_schemas().component_documents();
  missing.erase("Faq");
  auto r = puck_config(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Faq"), std::string::npos);
}

}  // namespace
}  // namespace pw::domain::test
