#pragma once
// Real images made with libvips for the tests, and hostile variants of them.
#include <cstdint>
#include <string>

namespace pw::testing {

// A width x height picture with a gradient (so encoders have something to
// encode), saved in `format`: "png", "jpg", "webp", "gif" or "avif".
std::string make_image(const std::string& format, int width, int height);
// A valid PNG whose header claims width x height (CRC fixed): a decompression bomb.
std::string png_claiming(int width, int height);

}  // namespace pw::testing
