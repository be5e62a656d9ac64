// --log-level on every subcommand, and the process's logger set up from what
// was parsed: its role, its level, and the secrets it must never write.
#include <cstdlib>
#include <string>

#include "events/logging.hpp"
#include "ops/cli/cli.hpp"

namespace pw::cli {
namespace {

std::string& level_text() {
  static std::string text = "info";
  return text;
}

void add_level_option(CLI::App& cmd) {
  cmd.add_option("--log-level", level_text(), "least level of the JSON log lines on stderr")
      ->envname("PW_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  for (CLI::App* sub : cmd.get_subcommands({})) add_level_option(*sub);
}

// Every secret the process was given becomes one the sink blanks: the JWT
// secret and the passwords of its connection strings.
void register_secrets(const CLI::App& cmd) {
  for (const CLI::Option* opt : cmd.get_options()) {
    const std::string name = opt->get_name();
    if (opt->results().empty()) continue;
    const std::string& value = opt->results().front();
    if (name.find("secret") != std::string::npos || name.find("password") != std::string::npos)
      logging::add_secret(value);
    else if (name.find("pg") != std::string::npos || name == "--log")
      logging::add_connection_secret(value);
  }
  for (const CLI::App* sub : cmd.get_subcommands()) register_secrets(*sub);
}

}  // namespace

void add_log_level(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) add_level_option(*sub);
}

void start_logging(const CLI::App& app) {
  std::string role = "pagewright";
  if (const auto parsed = app.get_subcommands(); !parsed.empty()) {
    role = parsed.front()->get_name();
    if (role == "worker")
      if (const CLI::Option* pool = parsed.front()->get_option_no_throw("--pool"); pool && !pool->results().empty())
        role += "-" + pool->results().front();
  }
  for (const char* env : {"PW_JWT_SECRET"})
    if (const char* v = std::getenv(env)) logging::add_secret(v);
  for (const char* env : {"PW_PG", "PW_PG_READER", "PW_LOG"})
    if (const char* v = std::getenv(env)) logging::add_connection_secret(v);
  register_secrets(app);
  logging::configure(role, logging::parse_level(level_text()).value_or(logging::Level::info));
}

}  // namespace pw::cli
