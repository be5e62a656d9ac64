#pragma once
// pagewright::media — uploaded images, checked and resized with libvips
// (Debian's libvips). Only this library's .cpp includes vips, so the rest of
// the build never sees its headers.
//
// process_image() takes the bytes of an upload and:
//  1. recognises the type by the bytes (libvips' own loader detection), and
//     accepts only PNG, JPEG, WebP, GIF and AVIF (SVG, HEIC, TIFF, PDF, … are
//     Errc::unsupported_media_type, whatever the name or Content-Type says);
//  2. reads the dimensions from the header before decoding and refuses a
//     picture over kMaxSide pixels a side or kMaxPixels in all (a
//     decompression bomb) with Errc::unprocessable, field "body";
//  3. decodes every pixel with fail-on-error, so a truncated or corrupt file
//     is Errc::unprocessable (field "body") instead of a half-grey picture;
//  4. makes a WebP variant at each of kVariantWidths narrower than the
//     original (same aspect ratio, metadata stripped).
// It blocks the calling thread for as long as that takes: call it from a
// blocking pool. libvips runs with one worker thread and no operation cache,
// so one call holds at most a few strips of the picture in memory.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace pw::media {

inline constexpr int64_t kMaxSide = 16384;
inline constexpr int64_t kMaxPixels = 50'000'000;
inline constexpr std::array<int64_t, 3> kVariantWidths = {480, 960, 1600};

struct Variant {
  int64_t width = 0;
  int64_t height = 0;
  std::string bytes;  // WebP
};

struct Image {
  std::string contentType;  // image/png | image/jpeg | image/webp | image/gif | image/avif
  std::string extension;    // png | jpg | webp | gif | avif
  int64_t width = 0;
  int64_t height = 0;
  std::vector<Variant> variants;  // narrowest first
};

Result<Image> process_image(std::string_view bytes);

}  // namespace pw::media
