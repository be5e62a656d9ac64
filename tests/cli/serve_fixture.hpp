#pragma once
// A test beside one `pagewright serve` process on the test's own database and
// data directory, started as operators start it: the connection strings in
// its environment (never in argv), the API and then the metrics listener on
// ports of their own. TearDown stops it and removes the directory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/cli/processes.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/http_client.hpp"

#ifndef PW_BINARY
#error "a test beside serve needs PW_BINARY (the pagewright binary's path)"
#endif

namespace pw::test {

class ServeTest : public PgTest {
 protected:
  // The JWT secret serve verifies the tests' tokens with.
  inline static const std::string kSecret = "e2e-secret-0123456789abcdef0123456789abcdef";

  // `name` tells the test's data directory from others' in the temp folder.
  explicit ServeTest(std::string name) : name_(std::move(name)) {}

  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
    data_ = std::filesystem::temp_directory_path() / ("pw-" + name_ + "-" + db_);
    std::filesystem::create_directories(data_);
  }
  void TearDown() override {
    using namespace std::chrono_literals;
    if (serve_.pid > 0) stop(serve_, 30s);
    std::error_code ec;
    if (!data_.empty()) std::filesystem::remove_all(data_, ec);
    PgTest::TearDown();
  }

  // Starts serve with `extra` options; its API port (0 if it did not start).
  // serve's stderr goes to `serve_err_` when set, else the test's.
  uint16_t start_serve(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data_.string(),
                                  "--metrics", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = spawn(args, {"PW_PG=" + owner_, "PW_PG_READER=" + reader_}, serve_err_.string());
    if (serve_.pid <= 0) return 0;
    const uint16_t port = read_listening_port(serve_.out);
    metrics_port_ = read_listening_port(serve_.out);
    return port;
  }
  std::string log_uri() const { return "local:" + (data_ / "log").string(); }

  std::filesystem::path data_;
  std::filesystem::path serve_err_;
  Child serve_;
  uint16_t metrics_port_ = 0;

 private:
  std::string name_;
};

}  // namespace pw::test
