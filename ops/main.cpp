// pagewright: one binary, many roles (DESIGN.md, decision 2).
#include <vector>

#include "ops/cli/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Pagewright — event-sourced website builder backend"};
  app.require_subcommand(1);
  std::vector<pw::cli::Runner> runners = {pw::cli::add_deadletter(app), pw::cli::add_dev_broker(app), pw::cli::add_gateway(app),
                                          pw::cli::add_migrate(app), pw::cli::add_rebuild(app), pw::cli::add_serve(app), pw::cli::add_status(app),
                                          pw::cli::add_token(app), pw::cli::add_version(app),
                                          pw::cli::add_worker(app)};
  pw::cli::add_log_level(app);
  CLI11_PARSE(app, argc, argv);
  pw::cli::start_logging(app);
  for (const auto& run : runners) {
    const int rc = run();
    if (rc >= 0) return rc;
  }
  return 2;
}
