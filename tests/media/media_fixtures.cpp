#include "tests/media/media_fixtures.hpp"

#include <vips/vips.h>
#include <zlib.h>

#include <stdexcept>

namespace pw::testing {

std::string make_image(const std::string& format, int width, int height) {
  if (VIPS_INIT("pagewright-tests") != 0) throw std::runtime_error("vips init");
  VipsImage* xyz = nullptr;
  VipsImage* rgb = nullptr;
  VipsImage* cast = nullptr;
  if (vips_xyz(&xyz, width, height, nullptr) != 0) throw std::runtime_error(vips_error_buffer());
  // x, y → three bands: x, y, x + y, scaled into 0..255.
  VipsImage* bands[2] = {nullptr, nullptr};
  vips_extract_band(xyz, &bands[0], 0, nullptr);
  vips_extract_band(xyz, &bands[1], 1, nullptr);
  VipsImage* sum = nullptr;
  vips_add(bands[0], bands[1], &sum, nullptr);
  VipsImage* all[3] = {bands[0], bands[1], sum};
  VipsImage* joined = nullptr;
  vips_bandjoin(all, &joined, 3, nullptr);
  double a[3] = {255.0 / width, 255.0 / height, 127.0 / (width + height)};
  double b[3] = {0, 0, 0};
  VipsImage* scaled = nullptr;
  vips_linear(joined, &scaled, a, b, 3, nullptr);
  vips_cast(scaled, &cast, VIPS_FORMAT_UCHAR, nullptr);
  vips_copy(cast, &rgb, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr);
  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  if (format == "png") rc = vips_pngsave_buffer(rgb, &buf, &len, nullptr);
  if (format == "jpg") rc = vips_jpegsave_buffer(rgb, &buf, &len, nullptr);
  if (format == "webp") rc = vips_webpsave_buffer(rgb, &buf, &len, nullptr);
  if (format == "gif") rc = vips_gifsave_buffer(rgb, &buf, &len, nullptr);
  if (format == "avif")
    rc = vips_heifsave_buffer(rgb, &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", 0,
                              nullptr);
  for (VipsImage* i : {xyz, bands[0], bands[1], sum, joined, scaled, cast, rgb}) g_object_unref(i);
  if (rc != 0) throw std::runtime_error("cannot save " + format + ": " + vips_error_buffer());
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

std::string png_claiming(int width, int height) {
  std::string png = make_image("png", 8, 8);
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), … CRC over type+data.
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  };
  put32(16, static_cast<uint32_t>(width));
  put32(20, static_cast<uint32_t>(height));
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  put32(29, static_cast<uint32_t>(crc));
  return png;
}

}  // namespace pw::testing
