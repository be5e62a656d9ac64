#include "media/media.hpp"

#include <vips/vips.h>

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace pw::media {
namespace {

// libvips is set up once per process: one worker thread per operation, no
// operation cache (each upload is decoded once), and no loaders but ours.
void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("pagewright") != 0) throw std::runtime_error("libvips failed to start");
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    // Loaders libvips marks untrusted (ImageMagick, PDF, …) stay off even if
    // a module with one is installed.
    vips_block_untrusted_set(TRUE);
  });
}

struct Unref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;

struct Type {
  const char* loader;  // the class vips_foreign_find_load_buffer names
  const char* content_type;
  const char* extension;
};
// Debian's libvips 8.14 uses libpng and libnsgif; the spng and giflib loaders
// of other builds are the same formats.
constexpr Type kTypes[] = {
    {"VipsForeignLoadPngBuffer", "image/png", "png"},   {"VipsForeignLoadSpngBuffer", "image/png", "png"},
    {"VipsForeignLoadJpegBuffer", "image/jpeg", "jpg"}, {"VipsForeignLoadWebpBuffer", "image/webp", "webp"},
    {"VipsForeignLoadNsgifBuffer", "image/gif", "gif"}, {"VipsForeignLoadGifBuffer", "image/gif", "gif"},
    {"VipsForeignLoadHeifBuffer", "image/avif", "avif"},  // AVIF only: checked below
};
constexpr std::string_view kHeifLoader = "VipsForeignLoadHeifBuffer";

Error unsupported() {
  return make_error(Errc::unsupported_media_type, "unsupported image type",
                    {{"body", "must be a PNG, JPEG, WebP, GIF or AVIF image (recognised by its bytes)"}});
}

Error damaged() {
  vips_error_clear();
  return make_error(Errc::unprocessable, "the image cannot be decoded",
                    {{"body", "the image is truncated or corrupt"}});
}

// The header only: libvips decodes nothing until pixels are asked for.
ImagePtr open_header(std::string_view bytes) {
  return ImagePtr(vips_image_new_from_buffer(bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL,
                                             "fail_on", VIPS_FAIL_ON_ERROR, nullptr));
}

// HEIF holds HEIC (HEVC) too, which browsers do not show: AV1 only.
bool is_avif(VipsImage* image) {
  const char* compression = nullptr;
  if (vips_image_get_typeof(image, "heif-compression") == 0) return false;
  if (vips_image_get_string(image, "heif-compression", &compression) != 0) return false;
  return compression != nullptr && std::string_view(compression) == "av1";
}

Result<Variant> make_variant(std::string_view bytes, int64_t width) {
  VipsImage* out = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &out, static_cast<int>(width), "height",
                            VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, nullptr) != 0)
    return damaged();
  ImagePtr thumb(out);
  void* buf = nullptr;
  size_t len = 0;
  if (vips_webpsave_buffer(thumb.get(), &buf, &len, "Q", 80, "strip", TRUE, nullptr) != 0) return damaged();
  Variant v{vips_image_get_width(thumb.get()), vips_image_get_height(thumb.get()),
            std::string(static_cast<const char*>(buf), len)};
  g_free(buf);
  return v;
}

}  // namespace

Result<Image> process_image(std::string_view bytes) {
  init_vips();
  if (bytes.empty()) return unsupported();
  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  vips_error_clear();  // "not a known format" is an answer, not an error
  const Type* type = nullptr;
  if (loader != nullptr)
    for (const Type& t : kTypes)
      if (std::string_view(loader) == t.loader) type = &t;
  if (type == nullptr) return unsupported();

  ImagePtr header = open_header(bytes);
  if (!header) return damaged();
  if (type->loader == kHeifLoader && !is_avif(header.get())) return unsupported();
  const int64_t width = vips_image_get_width(header.get());
  const int64_t height = vips_image_get_height(header.get());
  if (width > kMaxSide || height > kMaxSide || width * height > kMaxPixels)
    return make_error(Errc::unprocessable, "the image is too large to decode",
                      {{"body", "the image is " + std::to_string(width) + "x" + std::to_string(height) +
                                    " pixels; at most " + std::to_string(kMaxSide) + " a side and " +
                                    std::to_string(kMaxPixels) + " in all"}});

  // Every pixel, once, failing on the first decoder error or truncation.
  double average = 0;
  if (vips_avg(header.get(), &average, nullptr) != 0) return damaged();

  Image image{type->content_type, type->extension, width, height, {}};
  for (int64_t w : kVariantWidths) {
    if (w >= width) break;
    auto v = make_variant(bytes, w);
    if (!v) return v.error();
    image.variants.push_back(std::move(v).value());
  }
  return image;
}

}  // namespace pw::media
