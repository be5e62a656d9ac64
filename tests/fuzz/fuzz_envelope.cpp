// The event envelope decoder (events/envelope.hpp pw::decode), which reads
// every record of the log. Contract: never crashes; what decodes is what the
// header promises (seq >= 1, 64 lowercase hex prevHash, canonical time), and
// encodes to bytes that decode to the same envelope and encode identically.
#include <cstdint>

#include "events/envelope.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = pw::decode(pw::fuzz::as_text(data, size));
  if (!decoded.ok()) {
    PW_FUZZ_CHECK(!decoded.error().message.empty());
    return 0;
  }
  const pw::Envelope& e = *decoded;
  PW_FUZZ_CHECK(e.seq >= 1);
  PW_FUZZ_CHECK(e.prev_hash.size() == 64);
  PW_FUZZ_CHECK(pw::is_canonical_timestamp(e.occurred_at));
  // A canonical time within the clock's span formats back to itself (a leap
  // second, :60, is the next minute's :00).
  if (auto at = pw::parse_rfc3339(e.occurred_at); at && e.occurred_at.substr(17, 2) != "60")
    PW_FUZZ_CHECK(pw::format_rfc3339(*at) == e.occurred_at);
  const std::string bytes = pw::encode(e);
  PW_FUZZ_CHECK(bytes.find('\n') == std::string::npos);
  auto again = pw::decode(bytes);
  PW_FUZZ_CHECK(again.ok());
  PW_FUZZ_CHECK(*again == e);
  PW_FUZZ_CHECK(pw::encode(*again) == bytes);
  return 0;
}
