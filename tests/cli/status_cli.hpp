#pragma once
// Running `pagewright status` from a test, as an operator does, and reading
// what it says. Needs PW_BINARY.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/processes.hpp"

namespace pw::test {

// `pagewright status --json` with `args`; the PostgreSQL conninfo goes in the
// environment, as operators pass it. Null when it printed no JSON.
inline nlohmann::json status_json(const std::vector<std::string>& args, const std::string& pg, int* exit_status = nullptr) {
  std::vector<std::string> argv{PW_BINARY, "status", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CliRun r = run_cli(argv, pg.empty() ? std::vector<std::string>{} : std::vector<std::string>{"PW_PG=" + pg});
  if (exit_status) *exit_status = r.status;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

inline const nlohmann::json& pool_of(const nlohmann::json& status, const std::string& name) {
  static const nlohmann::json none;
  if (!status.is_object()) return none;
  for (const auto& p : status["pools"])
    if (p["pool"] == name) return p;
  return none;
}

// Calls `check` with a fresh status until it holds or `limit` passes; the
// last status read.
inline nlohmann::json status_until(const std::vector<std::string>& args, const std::string& pg,
                                   const std::function<bool(const nlohmann::json&)>& check,
                                   std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  nlohmann::json s;
  for (;;) {
    s = status_json(args, pg);
    if (check(s) || std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace pw::test
