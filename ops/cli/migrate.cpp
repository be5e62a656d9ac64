#include <iostream>

#include "ops/cli/cli.hpp"
#include "projections/pg.hpp"

namespace pw::cli {

Runner add_migrate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "migrate", "Apply the read-model migrations (schemas/sql, or PW_SQL_DIR) not yet applied");
  auto pg = std::make_shared<std::string>();
  cmd->add_option("--pg", *pg, "libpq conninfo of the owner role, e.g. the output of `ops/pg url`")
      ->envname("PW_PG")
      ->required();
  return [cmd, pg]() -> int {
    if (!*cmd) return -1;
    auto applied = projections::migrate(*pg, [](const std::string& name) {
      std::cout << "applied " << name << "\n";
    });
    if (!applied) {
      std::cerr << "migrate: " << applied.error().message << "\n";
      return 1;
    }
    std::cout << *applied << " migration(s) applied from " << projections::sql_dir() << "\n";
    return 0;
  };
}

}  // namespace pw::cli
