// The request-body parser of the gateway (gateway/api_json.hpp parse_body),
// at both depths the handlers use. Contract: never crashes; what it accepts
// is an object, and that object dumped parses again to the same value; what
// it refuses is a VALIDATION_ERROR or PAYLOAD_TOO_LARGE with a field.
#include <cstdint>

#include "commands/puck_document.hpp"
#include "gateway/api_json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

void check(std::string_view body, int max_depth) {
  auto parsed = pw::gateway::parse_body(body, max_depth);
  if (!parsed.ok()) {
    const pw::Error& e = parsed.error();
    PW_FUZZ_CHECK(e.code == pw::Errc::validation_error || e.code == pw::Errc::payload_too_large);
    PW_FUZZ_CHECK(e.code == pw::Errc::payload_too_large || !e.details.empty());
    return;
  }
  PW_FUZZ_CHECK(parsed->is_object());
  const std::string again = pw::gateway::dump_json(*parsed);
  auto reparsed = pw::gateway::parse_body(again, max_depth);
  PW_FUZZ_CHECK(reparsed.ok());
  PW_FUZZ_CHECK(*reparsed == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = pw::fuzz::as_text(data, size);
  check(body, pw::gateway::kMaxDepth);
  check(body, pw::domain::kMaxPuckDocumentDepth);
  return 0;
}
