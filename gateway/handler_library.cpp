// GET /v1/component-library: the component schemas (schemas/components/) as
// they are, or as a Puck editor's field configuration derived from them.
// Both answers depend on the schemas loaded at start alone, so they are built
// once, on the first request, and shared by every request after it.
#include "commands/component_library.hpp"
#include "commands/schemas.hpp"
#include "gateway/handler_internal.hpp"

namespace pw::gateway {
namespace {

struct Library {
  Result<nlohmann::json> schemas = nlohmann::json();
  Result<nlohmann::json> puck = nlohmann::json();
};

// Every gateway of a process holds the schemas loaded at its start: the
// answers are built from the first one asked.
const Library& library(const domain::Schemas* schemas) {
  static const Library lib = [schemas] {
    Library l;
    if (schemas) {
      l.schemas = schemas->component_documents();
      l.puck = domain::puck_config(schemas->component_documents());
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
  const Library& lib = library(ex->gw.options().schemas.get());
  if (format == q.end() || format->second == "json-schema") answer = &lib.schemas;
  else if (format->second == "puck") answer = &lib.puck;
  else
    return ex->fail(make_error(Errc::validation_error, "invalid query parameter",
                               {{"format", "must be json-schema or puck"}}));
  if (!answer->ok()) return ex->fail(answer->error());
  ex->ok(200, **answer);
}

}  // namespace pw::gateway
