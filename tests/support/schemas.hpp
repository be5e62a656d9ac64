#pragma once
// The component and design-token schemas, loaded once per test binary as a
// process loads them at start.
#include <memory>
#include <stdexcept>

#include "commands/schemas.hpp"

namespace pw::test {

inline const std::shared_ptr<const domain::Schemas>& test_schemas() {
  static const std::shared_ptr<const domain::Schemas> schemas = [] {
    auto loaded = domain::Schemas::load(domain::Schemas::default_dir());
    if (!loaded.ok()) throw std::runtime_error(loaded.error().message);
    return std::move(loaded).value();
  }();
  return schemas;
}

}  // namespace pw::test
