#include "events/result.hpp"

#include <array>
#include <string_view>

namespace pw {
namespace {
struct ErrcInfo {
  Errc errc;
  const char* code;
  int status;
};
constexpr std::array<ErrcInfo, 15> kErrcs{{
    {Errc::validation_error, "VALIDATION_ERROR", 400},
    {Errc::unauthenticated, "UNAUTHENTICATED", 401},
    {Errc::forbidden, "FORBIDDEN", 403},
    {Errc::not_found, "NOT_FOUND", 404},
    {Errc::version_conflict, "VERSION_CONFLICT", 409},
    {Errc::slug_taken, "SLUG_TAKEN", 409},
    {Errc::duplicate, "DUPLICATE", 409},
    {Errc::unprocessable, "UNPROCESSABLE", 422},
    {Errc::payload_too_large, "PAYLOAD_TOO_LARGE", 413},
    {Errc::rate_limited, "RATE_LIMITED", 429},
    {Errc::unavailable, "UNAVAILABLE", 503},
    {Errc::internal, "INTERNAL", 500},
    {Errc::fenced, "INTERNAL", 500},
    {Errc::unsupported_media_type, "UNSUPPORTED_MEDIA_TYPE", 415},
    {Errc::precondition_required, "PRECONDITION_REQUIRED", 428},
}};
}  // namespace

const char* errc_code(Errc e) {
  for (const auto& i : kErrcs)
    if (i.errc == e) return i.code;
  return "INTERNAL";
}

int errc_http_status(Errc e) {
  for (const auto& i : kErrcs)
    if (i.errc == e) return i.status;
  return 500;
}

std::optional<Errc> errc_from_code(std::string_view code) {
  for (const auto& i : kErrcs)
    if (code == i.code) return i.errc;
  return std::nullopt;
}
}  // namespace pw
