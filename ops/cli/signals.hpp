#pragma once
// Stop signals of long-running roles (serve, gateway, worker): SIGTERM/SIGINT
// are blocked in every thread before any library starts its own threads
// (librdkafka and RocksDB do on open), and one watcher thread takes them, so
// no library thread can be the one to receive SIGTERM and die of it.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pw::cli {

// Call first thing in a role's run function.
void block_stop_signals();

// Raised when a stop signal arrives (or stop() is called); wait() blocks until then.
class StopFlag {
 public:
  StopFlag();
  ~StopFlag();  // joins the watcher (raising the flag first if needed)
  StopFlag(const StopFlag&) = delete;
  StopFlag& operator=(const StopFlag&) = delete;

  bool raised() const { return raised_; }
  // Raises the flag from inside the process (a role that cannot go on).
  void stop();
  void wait();
  const std::atomic<bool>& flag() const { return raised_; }

 private:
  void raise();
  std::atomic<bool> raised_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread watcher_;
};

}  // namespace pw::cli
