// Puck documents (commands/puck_document.hpp), parsed as the gateway parses a
// PUT of page content. Contract: never crashes; a refusal is one of the
// documented codes; a document that reads writes back (puck_document) to one
// that reads to the same title and tree, with a pointer for every component.
#include <cstdint>

#include "commands/puck_document.hpp"
#include "gateway/api_json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

size_t count(const std::vector<pw::domain::Component>& list) {
  size_t n = list.size();
  for (const auto& c : list)
    for (const auto& [slot, children] : c.slots) n += count(children);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = pw::gateway::parse_body(pw::fuzz::as_text(data, size), pw::domain::kMaxPuckDocumentDepth);
  if (!body.ok()) return 0;
  const pw::domain::Schemas& schemas = pw::fuzz::schemas();

  auto read = pw::domain::read_puck_document(schemas, *body, "page-fuzz");
  if (!read.ok()) {
    const pw::Errc code = read.error().code;
    PW_FUZZ_CHECK(code == pw::Errc::validation_error || code == pw::Errc::unprocessable ||
                  code == pw::Errc::payload_too_large);
    return 0;
  }
  PW_FUZZ_CHECK(read->pointers.size() == count(read->content));

  const nlohmann::json written = pw::domain::puck_document(read->title.value_or(""), read->content);
  auto again = pw::domain::read_puck_document(schemas, written, "page-fuzz");
  PW_FUZZ_CHECK(again.ok());
  PW_FUZZ_CHECK(again->content == read->content);
  PW_FUZZ_CHECK(again->title.value_or("") == read->title.value_or(""));
  return 0;
}
