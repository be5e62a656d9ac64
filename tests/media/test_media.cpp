// pagewright::media on real images made by libvips in the test, and on
// hostile ones: a decompression bomb, truncated files, SVG, text.
#include <gtest/gtest.h>

#include "media/media.hpp"
#include "tests/media/media_fixtures.hpp"

namespace pw::media {
namespace {

using pw::testing::make_image;
using pw::testing::png_claiming;

void expect_error(const Result<Image>& r, Errc code, const std::string& message_part) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().message;
  ASSERT_EQ(r.error().details.size(), 1u);
  EXPECT_EQ(r.error().details[0].field, "body");
  EXPECT_NE(r.error().details[0].message.find(message_part), std::string::npos) << r.error().details[0].message;
}

struct Format {
  const char* name;
  const char* content_type;
  const char* extension;
};

class EachFormat : public ::testing::TestWithParam<Format> {};

TEST_P(EachFormat, IsRecognisedByItsBytesWithItsDimensions) {
  const Format f = GetParam();
  auto r = process_image(make_image(f.name, 300, 200));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->contentType, f.content_type);
  EXPECT_EQ(r->extension, f.extension);
  EXPECT_EQ(r->width, 300);
  EXPECT_EQ(r->height, 200);
  EXPECT_TRUE(r->variants.empty());  // narrower than every variant width
}

INSTANTIATE_TEST_SUITE_P(Media, EachFormat,
                         ::testing::Values(Format{"png", "image/png", "png"}, Format{"jpg", "image/jpeg", "jpg"},
                                           Format{"webp", "image/webp", "webp"}, Format{"gif", "image/gif", "gif"},
                                           Format{"avif", "image/avif", "avif"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Media, VariantsAreWebPAtTheWidthsNarrowerThanTheOriginal) {
  auto r = process_image(make_image("jpg", 2000, 1000));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->variants.size(), 3u);
  const int64_t widths[] = {480, 960, 1600};
  for (size_t i = 0; i < 3; ++i) {
    const Variant& v = r->variants[i];
    EXPECT_EQ(v.width, widths[i]);
    EXPECT_EQ(v.height, widths[i] / 2);
    // The variant is itself a WebP of those dimensions.
    auto again = process_image(v.bytes);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->contentType, "image/webp");
    EXPECT_EQ(again->width, v.width);
    EXPECT_EQ(again->height, v.height);
  }
}

TEST(Media, OnlyTheWidthsBelowTheOriginalAreMade) {
  auto r = process_image(make_image("png", 1000, 1500));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->variants.size(), 2u);
  EXPECT_EQ(r->variants[0].width, 480);
  EXPECT_EQ(r->variants[0].height, 720);
  EXPECT_EQ(r->variants[1].width, 960);
  EXPECT_EQ(r->variants[1].height, 1440);
}

TEST(Media, ADecompressionBombIsRefusedFromItsHeader) {
  expect_error(process_image(png_claiming(100000, 100000)), Errc::unprocessable, "100000x100000");
  // Within a side but over the pixel budget.
  expect_error(process_image(png_claiming(16000, 16000)), Errc::unprocessable, "16000x16000");
}

TEST(Media, TruncatedFilesAreRefused) {
  for (const char* format : {"jpg", "png"}) {
    const std::string whole = make_image(format, 640, 480);
    expect_error(process_image(whole.substr(0, whole.size() / 2)), Errc::unprocessable, "truncated");
  }
}

TEST(Media, CorruptPixelDataIsRefused) {
  std::string png = make_image("png", 640, 480);
  for (size_t i = png.size() / 2; i < png.size() / 2 + 64; ++i) png[i] = static_cast<char>(png[i] ^ 0x5a);
  expect_error(process_image(png), Errc::unprocessable, "corrupt");
}

TEST(Media, SvgIsUnsupported) {
  const std::string svg =
      R"(<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">)"
      R"(<script>alert(1)</script><rect width="10" height="10"/></svg>)";
  expect_error(process_image(svg), Errc::unsupported_media_type, "PNG, JPEG, WebP, GIF or AVIF");
}

TEST(Media, TextAndEmptyBodiesAreUnsupported) {
  expect_error(process_image("this is not a picture, whatever its name says\n"), Errc::unsupported_media_type,
               "recognised by its bytes");
  expect_error(process_image(""), Errc::unsupported_media_type, "recognised by its bytes");
  // The PNG signature and nothing after it.
  expect_error(process_image(std::string("\x89PNG\r\n\x1a\n", 8)), Errc::unprocessable, "truncated");
}

}  // namespace
}  // namespace pw::media
