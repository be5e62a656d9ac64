#pragma once
// Helpers shared by the local log tests: a fresh directory per test and
// assertions that print the Error of a failed Result.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "events/backends.hpp"
#include "events/log.hpp"

namespace pw::test {

#define PW_ASSERT_OK(expr)                                             \
  do {                                                                 \
    auto&& pw_r_ = (expr);                                             \
    ASSERT_TRUE(pw_r_.ok()) << #expr << ": " << pw_r_.error().message; \
  } while (0)

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-local-log-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::unique_ptr<log::EventLog> open_or_die(const std::string& dir,
                                                  const log::Config& config = {
                                                      {"fsync", "false"}}) {
  auto r = log::open_local_log(dir, config);
  if (!r.ok()) throw std::runtime_error("open_local_log: " + r.error().message);
  return std::move(r).value();
}

// Every record of a partition, read from offset 0 without waiting.
inline std::vector<log::Record> read_all(log::EventLog& log, const log::TopicPartition& tp) {
  std::vector<log::Record> out;
  auto reader = log.reader(tp, 0);
  if (!reader.ok()) throw std::runtime_error("reader: " + reader.error().message);
  for (;;) {
    auto got = (*reader)->read(std::chrono::milliseconds(0), 1000);
    if (!got.ok()) throw std::runtime_error("read: " + got.error().message);
    if (got->empty()) return out;
    out.insert(out.end(), got->begin(), got->end());
  }
}

inline log::OutRecord rec(std::string topic, std::string key, std::string value,
                          std::optional<int32_t> partition = std::nullopt) {
  return log::OutRecord{std::move(topic), std::move(key), std::move(value), partition};
}

}  // namespace pw::test
