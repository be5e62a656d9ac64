#pragma once
// The auditor who is not us: kcat reads pagewright.events from a broker and
// tests/audit/verify_chain.py (Python's hashlib) recomputes each site's chain.
// Needs PW_SOURCE_DIR defined by the test target.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

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
                            " -o beginning -f '%s\\n' | python3 " PW_SOURCE_DIR "/tests/audit/verify_chain.py";
    readers.emplace_back(cmd, ::popen(cmd.c_str(), "r"));
    if (readers.back().second == nullptr) ADD_FAILURE() << "cannot run " << cmd;
  }
  for (auto& [cmd, pipe] : readers) {
    if (pipe == nullptr) continue;
    char out[512];
    while (std::fgets(out, sizeof out, pipe)) {
      std::string row(out);
      if (!row.empty() && row.back() == '\n') row.pop_back();
      const auto space = row.find(' ');
      heads[row.substr(0, space)] = row.substr(space + 1);
    }
    EXPECT_EQ(::pclose(pipe), 0) << cmd;
  }
  return heads;
}

}  // namespace pw::test
