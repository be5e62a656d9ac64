// The component library and the value rules, outside any command.
#include <gmock/gmock.h>

#include "commands/components.hpp"
#include "commands/validation.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

TEST(Urls, SafeAndUnsafe) {
  for (std::string_view ok :
       {"https://acme.test/a?b#c", "http://x", "HTTPS://X", "/img.png", "./a", "../a", "#top",
        "?q=1", "about/team", "img.png", "mailto:hi@acme.test", "tel:+441234",
        "//cdn.acme.test/x.png", "  https://x"}) {
    EXPECT_TRUE(is_safe_url(ok)) << ok;
  }
  for (std::string_view bad :
       {"javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "\tjavascript:x",
        "java\tscript:x", "java\nscript:x", "\x01javascript:x", "data:text/html,x", "vbscript:x",
        "file:///etc/passwd", "ftp://x", "blob:https://x", "x-custom:y", "", "   ",
        "https://x\n"}) {
    EXPECT_FALSE(is_safe_url(bad)) << bad;
  }
  EXPECT_FALSE(is_safe_url(std::string_view("java\0script:x", 14)));
}

TEST(Slugs, Validation) {
  for (std::string_view ok : {"", "a", "about", "a-b", "a1/b-2/c", "2024"})
    EXPECT_TRUE(is_valid_slug(ok)) << ok;
  for (std::string_view bad : {"A", "a--b", "-a", "a-", "/", "/a", "a/", "a//b", "a b", "é", "a_b"})
    EXPECT_FALSE(is_valid_slug(bad)) << bad;
  EXPECT_TRUE(is_valid_slug(std::string(200, 'a')));
  EXPECT_FALSE(is_valid_slug(std::string(201, 'a')));
}

TEST(Slugs, FromTitle) {
  EXPECT_EQ(slug_from_title("Hello, World!"), "hello-world");
  EXPECT_EQ(slug_from_title("  --Über uns-- "), "ber-uns");
  EXPECT_EQ(slug_from_title("日本語"), "page");
  EXPECT_EQ(slug_from_title("A/B"), "a-b");
  std::string long_title;
  for (int i = 0; i < 100; ++i) long_title += "ab ";
  std::string slug = slug_from_title(long_title);
  EXPECT_LE(slug.size(), kMaxSlug);
  EXPECT_TRUE(is_valid_slug(slug)) << slug;
}

TEST(Values, SubdomainsAndIds) {
  EXPECT_TRUE(is_valid_subdomain("a"));
  EXPECT_TRUE(is_valid_subdomain("a-1-b"));
  EXPECT_FALSE(is_valid_subdomain("a/b"));
  EXPECT_TRUE(is_valid_component_id("Hero_1-a"));
  EXPECT_FALSE(is_valid_component_id("a.b"));
  EXPECT_FALSE(is_valid_component_id(""));
}

TEST(Values, Utf8Length) {
  EXPECT_EQ(utf8_length("abc"), 3);
  EXPECT_EQ(utf8_length("\xc3\xa9t\xc3\xa9"), 3);
  EXPECT_EQ(utf8_length("\xf0\x9f\x98\x80"), 1);
  EXPECT_EQ(utf8_length("\xc3"), -1);          // truncated
  EXPECT_EQ(utf8_length("\xc0\xaf"), -1);      // overlong '/'
  EXPECT_EQ(utf8_length("\xed\xa0\x80"), -1);  // surrogate
  EXPECT_FALSE(valid_text("\xff", 10));
}

TEST(Library, TypesAndSlots) {
  EXPECT_EQ(component_types().size(), 17u);
  for (std::string_view t : component_types()) EXPECT_TRUE(is_known_component_type(t));
  EXPECT_FALSE(is_known_component_type("section"));
  EXPECT_THAT(component_slots("Section", json::object()), ::testing::ElementsAre("children"));
  EXPECT_THAT(component_slots("Columns", {{"count", 3}}),
              ::testing::ElementsAre("column1", "column2", "column3"));
  EXPECT_TRUE(component_slots("Heading", {{"text", "x"}}).empty());
}

TEST(Library, EverySchemaLoadsAndAcceptsItsMinimalProps) {
  const std::vector<std::pair<std::string, json>> minimal = {
      {"Section", json::object()},
      {"Columns", {{"count", 2}}},
      {"Heading", {{"text", "x"}}},
      {"Text", {{"text", ""}}},
      {"Image", {{"src", "/a.png"}, {"alt", ""}}},
      {"Button", {{"label", "x"}, {"href", "/"}}},
      {"Hero", {{"title", "x"}}},
      {"Card", {{"title", "x"}}},
      {"Spacer", json::object()},
      {"Video", {{"url", "https://youtu.be/aqz-KE-bpKQ"}, {"title", "x"}}},
      {"Gallery", json::object()},
      {"Quote", {{"text", "x"}}},
      {"List", json::object()},
      {"Faq", json::object()},
      {"Navbar", json::object()},
      {"Footer", json::object()},
      {"Divider", json::object()},
  };
  ASSERT_EQ(minimal.size(), component_types().size());
  for (const auto& [type, props] : minimal) {
    auto r = loaded_schemas().validate_component_props(type, props);
    EXPECT_TRUE(r.ok()) << type << ": " << (r.ok() ? "" : r.error().message);
    json extra = props;
    extra["nope"] = 1;
    EXPECT_FALSE(loaded_schemas().validate_component_props(type, extra).ok()) << type;
  }
}

// A pattern-checked prop far over its maxLength is refused by length: the
// regex that checks the pattern would recurse once per character.
TEST(Library, LongStringsAreRefusedBeforeTheirPatternIsMatched) {
  for (const char* prop : {"anchor", "background"}) {
    auto r = loaded_schemas().validate_component_props("Section", {{prop, std::string(1 << 20, 'a')}});
    ASSERT_FALSE(r.ok()) << prop;
    EXPECT_EQ(r.error().code, Errc::unprocessable);
    ASSERT_EQ(r.error().details.size(), 1u);
    EXPECT_EQ(r.error().details[0].field, std::string("props.") + prop);
  }
  EXPECT_TRUE(loaded_schemas().validate_component_props("Section", {{"anchor", "a" + std::string(63, 'b')}}).ok());
  EXPECT_FALSE(loaded_schemas().validate_component_props("Section", {{"anchor", "a" + std::string(64, 'b')}}).ok());
}

TEST(Library, RichPropsValidate) {
  EXPECT_TRUE(loaded_schemas().validate_component_props(
                  "Section", {{"background", "#fafafa"}, {"padding", "large"}, {"anchor", "top"}})
                  .ok());
  EXPECT_FALSE(loaded_schemas().validate_component_props("Section", {{"background", "red;}</style>"}}).ok());
  EXPECT_TRUE(loaded_schemas().validate_component_props("Image", {{"src", "https://x/a.png"},
                                                 {"alt", "A"},
                                                 {"width", 640},
                                                 {"height", 480},
                                                 {"caption", "c"}})
                  .ok());
  EXPECT_FALSE(
      loaded_schemas().validate_component_props("Image", {{"src", "/a"}, {"alt", ""}, {"width", 1.5}}).ok());
  EXPECT_TRUE(loaded_schemas().validate_component_props("Text", {{"text", std::string(20000, 'x')}}).ok());
  EXPECT_FALSE(loaded_schemas().validate_component_props("Text", {{"text", std::string(20001, 'x')}}).ok());
  EXPECT_TRUE(loaded_schemas().validate_component_props("Hero", {{"title", "t"},
                                                {"subtitle", "s"},
                                                {"image", "/h.jpg"},
                                                {"ctaLabel", "Go"},
                                                {"ctaHref", "tel:123"}})
                  .ok());
}

TEST(Library, DetailsNameTheProp) {
  auto r = loaded_schemas().validate_component_props("Button", {{"label", 3}, {"variant", "loud"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unprocessable);
  std::vector<std::string> fields;
  for (const auto& d : r.error().details) fields.push_back(d.field);
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"props.label", "props.variant", "props.href"}));
}

}  // namespace
}  // namespace pw::domain::test
