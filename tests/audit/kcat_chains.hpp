#pragma once
// The auditor who is not us: kcat reads pagewright.events from a broker and
// ops/audit-chain (Python's standard library) recomputes each site's chain.
// Needs PW_SOURCE_DIR defined by the test target.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pw::test {

// site id → "<events> <head hash> ok|bad", over partitions 0..partitions-1
// of `topic` (its name on the broker: a namespaced log's carries the namespace).
inline std::map<std::string, std::string> chain_heads_by_kcat(const std::string& bootstrap, int partitions,
                                                              const std::string& topic = "pagewright.events") {
  std::map<std::string, std::string> heads;
  // One reader per partition, all at once (each waits on the broker, not on a core).
  std::vector<std::pair<std::string, FILE*>> readers;
  for (int p = 0; p < partitions; ++p) {
    const std::string cmd = "kcat -C -q -e -b '" + bootstrap + "' -t '" + topic + "' -p " + std::to_string(p) +
                            " -o beginning -f '%k\\t%s\\n' | " PW_SOURCE_DIR "/ops/audit-chain";
    readers.emplace_back(cmd, ::popen(cmd.c_str(), "r"));
    if (readers.back().second == nullptr) ADD_FAILURE() << "cannot run " << cmd;
  }
  for (auto& [cmd, pipe] : readers) {
    if (pipe == nullptr) continue;
    char out[1024];
    while (std::fgets(out, sizeof out, pipe)) {
      const auto site = nlohmann::json::parse(out, nullptr, false);
      if (!site.is_object()) {
        ADD_FAILURE() << cmd << " printed " << out;
        continue;
      }
      heads[site.value("siteId", "")] =
          std::to_string(site.value("events", -1)) + " " + site.value("headHash", "") + " " +
          (site.value("ok", false) ? std::string("ok")
                                   : "bad:" + std::to_string(site.value("firstBadSeq", int64_t{-1})));
    }
    EXPECT_EQ(::pclose(pipe), 0) << cmd << " (exit status 1: a chain is broken)";
  }
  return heads;
}

}  // namespace pw::test
