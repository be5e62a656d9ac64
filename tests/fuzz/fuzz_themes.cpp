// Design tokens and themes (commands/themes.hpp, Schemas::validate_design_tokens
// in commands/content.cpp), fed what the gateway hands them: a parsed body.
// Contract: never crashes; resolving always yields a theme's four groups as
// objects; a refusal is UNPROCESSABLE with at most kMaxContentDetails + 1
// details, each naming a field; and tokens that validate still validate
// once laid over their theme.
#include <cstdint>

#include "commands/content.hpp"
#include "commands/themes.hpp"
#include "gateway/api_json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = pw::gateway::parse_body(pw::fuzz::as_text(data, size));
  if (!body.ok()) return 0;
  const nlohmann::json& tokens = *body;

  const nlohmann::json resolved = pw::domain::resolve_tokens(tokens);
  for (const char* group : {"colors", "typography", "spacing", "radii"})
    PW_FUZZ_CHECK(resolved.contains(group) && resolved[group].is_object());

  const pw::domain::Schemas& schemas = pw::fuzz::schemas();
  auto valid = schemas.validate_design_tokens(tokens);
  if (!valid.ok()) {
    PW_FUZZ_CHECK(valid.error().code == pw::Errc::unprocessable);
    PW_FUZZ_CHECK(!valid.error().details.empty());
    PW_FUZZ_CHECK(valid.error().details.size() <= pw::domain::kMaxContentDetails + 1);
    for (const auto& d : valid.error().details) PW_FUZZ_CHECK(!d.field.empty() && !d.message.empty());
    return 0;
  }
  PW_FUZZ_CHECK(schemas.validate_design_tokens(resolved).ok());
  return 0;
}
