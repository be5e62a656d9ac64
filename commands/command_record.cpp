#include "commands/command_record.hpp"

#include "events/hash_chain.hpp"

namespace pw::domain {
namespace {

Error bad_record(std::string field, std::string message) {
  return make_error(Errc::validation_error, "malformed command record",
                    {{std::move(field), std::move(message)}});
}

}  // namespace

std::string encode_command_record(const CommandRecord& r) {
  nlohmann::json j = {{"meta", domain::command_meta_to_json(r.meta)},
                      {"type", domain::command_type(r.command)},
                      {"body", domain::command_to_json(r.command)},
                      {"correlationId", r.correlation_id}};
  return j.dump();
}

Result<CommandRecord> decode_command_record(std::string_view value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad_record("", "not a JSON object");
  for (const char* key : {"meta", "type", "body", "correlationId"})
    if (!j.contains(key)) return bad_record(key, "missing");
  if (j.size() != 4) return bad_record("", "unknown fields");
  if (!j["type"].is_string()) return bad_record("type", "must be a string");
  if (!j["correlationId"].is_string()) return bad_record("correlationId", "must be a string");
  auto meta = domain::command_meta_from_json(j["meta"]);
  if (!meta.ok()) return meta.error();
  auto command = domain::command_from_json(j["type"].get<std::string>(), j["body"]);
  if (!command.ok()) return command.error();
  return CommandRecord{std::move(meta).value(), std::move(command).value(),
                       j["correlationId"].get<std::string>()};
}

std::string command_fingerprint(const domain::Command& c) {
  std::string bytes(domain::command_type(c));
  bytes.push_back('\n');
  bytes += domain::command_to_json(c).dump();
  return sha256_hex(bytes);
}

nlohmann::json outcome_to_json(const CommandOutcome& o) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : o.events) events.push_back({{"type", e.type}, {"seq", e.seq}});
  nlohmann::json j = {{"commandId", o.command_id},
                      {"tenantId", o.tenant_id},
                      {"type", o.command_type},
                      {"commandPartition", o.command_partition},
                      {"commandOffset", o.command_offset},
                      {"status", o.accepted ? "accepted" : "rejected"},
                      {"aggregateId", o.aggregate_id},
                      {"version", o.version},
                      {"position", o.position.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.position)},
                      {"events", std::move(events)},
                      {"fingerprint", o.fingerprint}};
  if (o.error) {
    nlohmann::json details = nlohmann::json::array();
    for (const auto& d : o.error->details) details.push_back({{"field", d.field}, {"message", d.message}});
    j["error"] = {{"code", errc_code(o.error->code)}, {"message", o.error->message}, {"details", details}};
  }
  return j;
}

std::string encode_outcome(const CommandOutcome& o) { return outcome_to_json(o).dump(); }

Result<CommandOutcome> decode_outcome(std::string_view value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(Errc::internal, "malformed command outcome: not a JSON object");
  return outcome_from_json(j);
}

Result<CommandOutcome> outcome_from_json(const nlohmann::json& j) {
  try {
    CommandOutcome o;
    o.command_id = j.at("commandId").get<std::string>();
    o.tenant_id = j.at("tenantId").get<std::string>();
    o.command_type = j.at("type").get<std::string>();
    o.command_partition = j.at("commandPartition").get<int32_t>();
    o.command_offset = j.at("commandOffset").get<int64_t>();
    o.accepted = j.at("status").get<std::string>() == "accepted";
    o.aggregate_id = j.at("aggregateId").get<std::string>();
    o.version = j.at("version").get<int64_t>();
    if (!j.at("position").is_null()) o.position = j.at("position").get<std::string>();
    o.fingerprint = j.at("fingerprint").get<std::string>();
    for (const auto& e : j.at("events")) o.events.push_back({e.at("type").get<std::string>(), e.at("seq").get<int64_t>()});
    if (j.contains("error")) {
      const auto& err = j["error"];
      Error e;
      e.code = errc_from_code(err.at("code").get<std::string>()).value_or(Errc::internal);
      e.message = err.at("message").get<std::string>();
      for (const auto& d : err.at("details"))
        e.details.push_back({d.at("field").get<std::string>(), d.at("message").get<std::string>()});
      o.error = std::move(e);
    }
    return o;
  } catch (const nlohmann::json::exception& e) {
    // A result we cannot read is a corrupt log, not a client error.
    return make_error(Errc::internal, std::string("malformed command outcome: ") + e.what());
  }
}

}  // namespace pw::domain
