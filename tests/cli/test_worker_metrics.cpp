// A worker process serves its metrics (`--metrics HOST:PORT`): the projection
// pool reports projection_lag_events for every partition of the events topic.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli/processes.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/http_client.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;

class WorkerMetrics : public PgTest {};

TEST_F(WorkerMetrics, ProjectionWorkerServesLagPerPartition) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-worker-metrics-" + db_);
  Child worker = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", "local:" + (dir / "log").string(),
                        "--metrics", "127.0.0.1:0"},
                       {"PW_PG=" + owner_});
  const uint16_t port = read_listening_port(worker.out);
  ASSERT_NE(port, 0) << "the worker did not print its metrics address";
  HttpClient http("127.0.0.1", port);
  EXPECT_EQ(http.get("/healthz", "").status, 200);

  // The first reading comes within a second of starting.
  std::string body;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto metrics = http.get("/metrics", "");
    ASSERT_EQ(metrics.status, 200);
    body = metrics.body;
    if (body.find("projection_lag_events{partition=\"11\"}") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  for (int p = 0; p < 12; ++p)
    EXPECT_NE(body.find("projection_lag_events{partition=\"" + std::to_string(p) + "\"} 0"), std::string::npos)
        << "partition " << p << "\n"
        << body;
  EXPECT_NE(body.find("# TYPE projection_batch_seconds histogram"), std::string::npos);
  EXPECT_EQ(http.get("/nothing", "").status, 404);

  EXPECT_EQ(stop(worker, 30s), 0) << "the worker did not exit cleanly on SIGTERM";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace pw::test
