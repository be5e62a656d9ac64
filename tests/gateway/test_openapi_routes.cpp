// The route table and schemas/openapi.yaml describe the same API: every row of
// the table is documented under its path and method, and every documented
// operation of the gateway's API is a row. The static host (/sites/…,
// /previews/…) and the editor's files (/editor/…) are documented too but are
// not routed by the table.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "events/domain.hpp"
#include "events/result.hpp"
#include "gateway/route_table.hpp"

namespace {

using Operation = std::pair<std::string, std::string>;  // method (upper case), path

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

bool served_by_static_host(const std::string& path) {
  return path.starts_with("/sites/") || path.starts_with("/previews/") || path == "/editor" ||
         path.starts_with("/editor/");
}

std::set<Operation> documented() {
  const YAML::Node spec = YAML::LoadFile(std::string(PW_SOURCE_DIR) + "/schemas/openapi.yaml");
  static const std::set<std::string> kMethods = {"get", "put", "post", "patch", "delete", "head", "options"};
  std::set<Operation> out;
  for (const auto& path : spec["paths"]) {
    const auto p = path.first.as<std::string>();
    if (served_by_static_host(p)) continue;
    for (const auto& op : path.second) {
      const auto key = op.first.as<std::string>();
      if (kMethods.contains(key)) out.emplace(upper(key), p);
    }
  }
  return out;
}

std::set<Operation> routed() {
  std::set<Operation> out;
  for (const auto& r : pw::gateway::route_table()) out.emplace(std::string(r.method), std::string(r.pattern));
  return out;
}

TEST(OpenApiRoutes, EveryRouteIsDocumented) {
  const auto docs = documented();
  for (const auto& op : routed()) EXPECT_TRUE(docs.contains(op)) << op.first << " " << op.second << " is not in openapi.yaml";
}

TEST(OpenApiRoutes, EveryDocumentedOperationIsRouted) {
  const auto routes = routed();
  for (const auto& op : documented())
    EXPECT_TRUE(routes.contains(op)) << op.first << " " << op.second << " is documented but has no route";
}

TEST(OpenApiRoutes, TheSpecIsNotEmpty) {
  // Guards the two tests above against a spec that lost its paths.
  EXPECT_GE(documented().size(), routed().size());
  EXPECT_GT(routed().size(), 20u);
}

}  // namespace

// Schemathesis (ops/schemathesis) found a 415 whose code, UNSUPPORTED_MEDIA_TYPE,
// the schema's ErrorCode did not list: every code an error can carry is listed.
TEST(OpenApiRoutes, EveryErrorCodeIsDocumented) {
  const YAML::Node spec = YAML::LoadFile(std::string(PW_SOURCE_DIR) + "/schemas/openapi.yaml");
  std::set<std::string> listed;
  for (const auto& code : spec["components"]["schemas"]["ErrorCode"]["enum"]) listed.insert(code.as<std::string>());
  // Errc is an enum class over int: every value up to well past the last one,
  // so a code added later is covered without listing it here.
  for (int i = 0; i < 64; ++i) {
    const std::string code = pw::errc_code(static_cast<pw::Errc>(i));
    EXPECT_TRUE(listed.contains(code)) << code << " is not in ErrorCode";
  }
  EXPECT_TRUE(listed.contains("UNSUPPORTED_MEDIA_TYPE"));
}

// Schemathesis found a PreviewRequested event in GET …/events whose aggregate
// type, "preview", the schema did not allow: every event type's aggregate is.
template <std::size_t... I>
std::set<std::string> aggregate_types(std::index_sequence<I...>) {
  std::set<std::string> out;
  (out.insert(std::string(pw::domain::aggregate_of(pw::domain::DomainEvent(std::in_place_index<I>)).type)), ...);
  return out;
}

TEST(OpenApiRoutes, EveryAggregateTypeIsDocumented) {
  const YAML::Node spec = YAML::LoadFile(std::string(PW_SOURCE_DIR) + "/schemas/openapi.yaml");
  std::set<std::string> listed;
  for (const auto& t : spec["components"]["schemas"]["EventEnvelope"]["properties"]["aggregate"]["properties"]["type"]["enum"])
    listed.insert(t.as<std::string>());
  const auto types =
      aggregate_types(std::make_index_sequence<std::variant_size_v<pw::domain::DomainEvent>>{});
  EXPECT_TRUE(types.contains("preview"));
  for (const auto& t : types) EXPECT_TRUE(listed.contains(t)) << t << " is not in EventEnvelope.aggregate.type";
}
