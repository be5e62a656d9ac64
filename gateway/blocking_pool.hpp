#pragma once
// A fixed set of threads for work that blocks (Postgres queries, waits for the
// read model, scans of the log), so that it never runs on the HTTP server's I/O
// threads. Jobs run in submission order as threads free up.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pw::gateway {

class BlockingPool {
 public:
  explicit BlockingPool(size_t threads);
  ~BlockingPool();  // runs the jobs already queued, then joins
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // False (and `job` dropped) once the pool is stopping.
  bool post(std::function<void()> job);
  size_t queued() const;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pw::gateway
