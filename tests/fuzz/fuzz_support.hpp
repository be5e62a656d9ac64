#pragma once
// What every fuzz target shares: a check that aborts (so libFuzzer keeps the
// input) whatever NDEBUG says, and the schemas loaded once per process.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "commands/schemas.hpp"

#define PW_FUZZ_CHECK(cond)                                                         \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace pw::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The component and design-token schemas of the source tree.
inline const domain::Schemas& schemas() {
  static const std::shared_ptr<const domain::Schemas> loaded = [] {
    auto s = domain::Schemas::load(PW_SCHEMA_DIR);
    if (!s.ok()) {
      std::fprintf(stderr, "cannot load the schemas: %s\n", s.error().message.c_str());
      std::abort();
    }
    return std::move(s).value();
  }();
  return *loaded;
}

}  // namespace pw::fuzz
