#pragma once
// A fresh store in a temporary directory per test, and helpers to publish
// files into it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events/hash_chain.hpp"
#include "workers/ship/shipper.hpp"

namespace pw::ship::testing {

// The manifest codec and the name rules live in pagewright::store; the
// shipper's tests speak of them by their short names.
using namespace pw::store;

inline std::filesystem::path make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-ship-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    auto s = Shipper::open(dir_ / "store");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    // Blobs are 0444 but their directories are writable, so remove_all works.
    std::filesystem::remove_all(dir_, ec);
  }

  // Puts every file's bytes as a blob and returns the manifest.
  Manifest publish(const std::map<std::string, std::string>& files) {
    Manifest m;
    for (const auto& [path, bytes] : files) {
      auto h = store_->blobs().put(bytes);
      EXPECT_TRUE(h.ok());
      if (!h.ok()) return m;
      m.entries.push_back({path, *h, bytes.size(), "k:" + path});
    }
    return m;
  }

  std::filesystem::path deploy_dir(const std::string& site, const std::string& id) const {
    return store_->root() / "deploys" / site / id;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Shipper> store_;
};

}  // namespace pw::ship::testing
