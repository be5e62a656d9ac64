// The command record codec (commands/command_record.hpp) and the outcome
// codec beside it. Contract: decoding never crashes; what decodes encodes to
// bytes that decode to the same value, and encode is stable from there.
#include <cstdint>

#include "commands/command_record.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value = pw::fuzz::as_text(data, size);

  auto record = pw::domain::decode_command_record(value);
  if (record.ok()) {
    const std::string bytes = pw::domain::encode_command_record(*record);
    auto again = pw::domain::decode_command_record(bytes);
    PW_FUZZ_CHECK(again.ok());
    PW_FUZZ_CHECK(again->meta == record->meta);
    PW_FUZZ_CHECK(again->command == record->command);
    PW_FUZZ_CHECK(again->correlation_id == record->correlation_id);
    PW_FUZZ_CHECK(pw::domain::encode_command_record(*again) == bytes);
    PW_FUZZ_CHECK(pw::domain::command_fingerprint(again->command) ==
                  pw::domain::command_fingerprint(record->command));
  } else {
    PW_FUZZ_CHECK(!record.error().message.empty());
  }

  auto outcome = pw::domain::decode_outcome(value);
  if (outcome.ok()) {
    const std::string bytes = pw::domain::encode_outcome(*outcome);
    auto again = pw::domain::decode_outcome(bytes);
    PW_FUZZ_CHECK(again.ok());
    PW_FUZZ_CHECK(pw::domain::encode_outcome(*again) == bytes);
  } else {
    PW_FUZZ_CHECK(outcome.error().code == pw::Errc::internal);
  }
  return 0;
}
