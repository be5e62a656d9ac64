#pragma once
// The auditor who is not us: kcat reads pagewright.events from a broker and
// tests/audit/verify_chain.py (Python's hashlib) recomputes each site's chain.
// Needs PW_SOURCE_DIR defined by the test target.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

namespace pw::test {

// site id → "<events> <head hash> ok|bad", over partitions 0..partitions-1.
inline std::map<std::string, std::string> chain_heads_by_kcat(const std::string& bootstrap, int partitions) {
  std::map<std::string, std::string> heads;
  for (int p = 0; p < partitions; ++p) {
    const std::string cmd = "kcat -C -q -e -b '" + bootstrap + "' -t pagewright.events -p " + std::to_string(p) +
                            " -o beginning -f '%s\\n' | python3 " PW_SOURCE_DIR "/tests/audit/verify_chain.py";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "cannot run " << cmd;
      return heads;
    }
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
