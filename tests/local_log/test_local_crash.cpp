// Crash safety: a child process appends batches with fsync on and reports each
// acknowledged batch id through a pipe; the parent SIGKILLs it at a random
// moment, reopens the log and checks that every acknowledged batch is there,
// no batch is partial and no partition has a gap.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/local_log/local_test_util.hpp"

extern char** environ;

namespace pw::test {
namespace {

constexpr const char* kChildEnv = "PW_LOCAL_LOG_CRASH_CHILD";  // "<dir>|<first batch id>"
constexpr int kAckFd = 200;
constexpr int kChildThreads = 4;
constexpr int32_t kPartitions = 3;

// The child: appends until killed. Each batch has 3 records over 2 topics, all
// carrying the batch id; an id is written to the pipe only after append() returned.
[[noreturn]] void run_child(const std::string& spec) {
  auto bar = spec.find('|');
  const std::string dir = spec.substr(0, bar);
  std::atomic<uint64_t> next_id{std::stoull(spec.substr(bar + 1))};
  auto opened = log::open_local_log(dir, {{"fsync", "true"}});
  if (!opened.ok()) _exit(2);
  auto& log = **opened;
  if (!log.create_topics({{"crash.a", kPartitions}, {"crash.b", kPartitions}}).ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        uint64_t id = next_id++;
        const std::string v = std::to_string(id);
        log::Batch b;
        b.records = {rec("crash.a", "a" + v, v), rec("crash.b", "b" + v, v),
                     rec("crash.a", "c" + v, v)};
        if (!log.append(b).ok()) _exit(4);
        if (write(kAckFd, &id, sizeof id) != sizeof id) _exit(5);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// Runs before main() in the re-executed child, so gtest never starts there.
// Nothing it uses depends on other static initialisers of this binary.
[[maybe_unused]] const bool kIsChild = [] {
  if (const char* spec = std::getenv(kChildEnv)) run_child(spec);
  return false;
}();

struct ChildRun {
  std::set<uint64_t> acked;
  int status = 0;
};

// Starts the child, kills it after a random number of acknowledgements plus a
// random delay, and collects every id it acknowledged before dying.
ChildRun run_and_kill(const std::string& dir, uint64_t first_id, std::mt19937& rng) {
  ChildRun run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  // Everything the child needs is built before fork: only exec-safe calls after it.
  std::string env_entry = std::string(kChildEnv) + "=" + dir + "|" + std::to_string(first_id);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(env_entry.data());
  envp.push_back(nullptr);
  char arg0[] = "test_local_log_crash_child";
  char* argv[] = {arg0, nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], kAckFd);  // dup2 clears O_CLOEXEC on the copy
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) throw std::runtime_error("fork failed");

  const size_t kill_after = std::uniform_int_distribution<size_t>(1, 150)(rng);
  const auto extra_delay =
      std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(rng));
  bool killed = false;
  std::chrono::steady_clock::time_point kill_at{};
  auto read_acks = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;  // nothing yet
    uint64_t ids[64];
    ssize_t n = read(fds[0], ids, sizeof ids);
    if (n <= 0) return false;  // EOF: the child is gone
    // Writes of 8 bytes to a pipe are atomic, so reads return whole ids.
    for (ssize_t i = 0; i < n / 8; ++i) run.acked.insert(ids[i]);
    return true;
  };
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read_acks(10)) {
    auto now = std::chrono::steady_clock::now();
    if (!killed && run.acked.size() >= kill_after && kill_at == decltype(kill_at){})
      kill_at = now + extra_delay;
    if (!killed && ((kill_at != decltype(kill_at){} && now >= kill_at) || now > give_up)) {
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  close(fds[0]);
  waitpid(pid, &run.status, 0);
  return run;
}

TEST(LocalLogCrash, AcknowledgedBatchesSurviveSigkillWholeAndWithoutGaps) {
  TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::set<uint64_t> all_acked;
  for (uint64_t round = 0; round < 6; ++round) {
    ChildRun run = run_and_kill(dir.path(), round * 1'000'000'000, rng);
    ASSERT_TRUE(WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGKILL)
        << "child ended by itself, status " << run.status;
    ASSERT_FALSE(run.acked.empty());
    all_acked.insert(run.acked.begin(), run.acked.end());

    auto log = open_or_die(dir.path());
    std::map<uint64_t, int> records_of;  // batch id -> records found
    for (const char* topic : {"crash.a", "crash.b"}) {
      for (int32_t p = 0; p < kPartitions; ++p) {
        auto recs = read_all(*log, {topic, p});
        EXPECT_EQ(static_cast<int64_t>(recs.size()), *log->end_offset({topic, p}));
        for (size_t i = 0; i < recs.size(); ++i) {
          ASSERT_EQ(recs[i].offset, static_cast<int64_t>(i)) << topic << "[" << p << "] has a gap";
          ++records_of[std::stoull(recs[i].value)];
        }
      }
    }
    for (const auto& [id, n] : records_of) EXPECT_EQ(n, 3) << "batch " << id << " is partial";
    for (uint64_t id : all_acked)
      EXPECT_TRUE(records_of.contains(id)) << "acked batch " << id << " lost";
  }
}

}  // namespace
}  // namespace pw::test
