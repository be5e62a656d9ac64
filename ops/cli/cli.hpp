#pragma once
// Subcommands of the `pagewright` binary. Each registers its options on the
// app and returns the function that runs it once parsed.
#include <functional>

#include <CLI/CLI.hpp>

namespace pw::cli {

using Runner = std::function<int()>;

Runner add_deadletter(CLI::App& app);
Runner add_dev_broker(CLI::App& app);
Runner add_gateway(CLI::App& app);
Runner add_migrate(CLI::App& app);
Runner add_rebuild(CLI::App& app);
Runner add_serve(CLI::App& app);
Runner add_status(CLI::App& app);
Runner add_token(CLI::App& app);
Runner add_version(CLI::App& app);
Runner add_worker(CLI::App& app);

// --log-level (PW_LOG_LEVEL) on every subcommand, added once they all are;
// start_logging sets the logger up after parsing (logging_options.cpp).
void add_log_level(CLI::App& app);
void start_logging(const CLI::App& app);

}  // namespace pw::cli
