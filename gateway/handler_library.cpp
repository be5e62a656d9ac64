// GET /v1/component-library: the component schemas (schemas/components/) as
// they are, or as a Puck editor's field configuration derived from them.
// Both answers depend on the schema files alone, so they are built once, on
// the first request, and shared by every request after it.
#include "commands/component_library.hpp"
#include "commands/components.hpp"
#include "gateway/handler_internal.hpp"

namespace pw::gateway {
namespace {

struct Library {
  Result<nlohmann::json> schemas = nlohmann::json();
  Result<nlohmann::json> puck = nlohmann::json();
};

const Library& library() {
  static const Library lib = [] {
    Library l;
    const nlohmann::json& schemas = domain::component_schemas();
    if (schemas.is_object()) {
      l.schemas = schemas;
      l.puck = domain::puck_config(schemas);
    } else {
      l.schemas = make_error(Errc::internal, "the component schemas could not be loaded");
      l.puck = l.schemas.error();
    }
    return l;
  }();
  return lib;
}

}  // namespace

void get_component_library(const ExchangePtr& ex) {
  const auto q = ex->query();
  const auto format = q.find("format");
  const Result<nlohmann::json>* answer = nullptr;
  if (format == q.end() || format->second == "json-schema") answer = &library().schemas;
  else if (format->second == "puck") answer = &library().puck;
  else
    return ex->fail(make_error(Errc::validation_error, "invalid query parameter",
                               {{"format", "must be json-schema or puck"}}));
  if (!answer->ok()) return ex->fail(answer->error());
  ex->ok(200, **answer);
}

}  // namespace pw::gateway
