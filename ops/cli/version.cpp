#include <iostream>

#include "ops/cli/cli.hpp"

namespace pw::cli {

Runner add_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the version");
  return [cmd]() -> int {
    if (!*cmd) return -1;
    std::cout << "pagewright " << PW_VERSION << "\n";
    return 0;
  };
}

}  // namespace pw::cli
