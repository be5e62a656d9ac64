#include "ops/cli/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace pw::cli {
namespace {

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

void block_stop_signals() {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

StopFlag::StopFlag() {
  const sigset_t signals = stop_signals();
  watcher_ = std::thread([this, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    raise();
  });
}

StopFlag::~StopFlag() {
  if (!raised_) stop();
  watcher_.join();
}

void StopFlag::stop() {
  // The watcher only leaves sigwait on a signal: send ourselves one. It is
  // blocked in every thread, so only the watcher can take it.
  ::kill(::getpid(), SIGTERM);
}

void StopFlag::raise() {
  {
    std::lock_guard lock(mu_);
    raised_ = true;
  }
  cv_.notify_all();
}

void StopFlag::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return raised_.load(); });
}

}  // namespace pw::cli
