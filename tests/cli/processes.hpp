#pragma once
// Child processes of the pagewright binary, for tests that run it as
// operators do.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace pw::test {

// Owns the process: one still running when its Child goes away (a test that
// stopped early) is killed and reaped, so no test leaves processes behind.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // its stdout

  Child() = default;
  Child(Child&& o) noexcept : pid(std::exchange(o.pid, -1)), out(std::exchange(o.out, nullptr)) {}
  Child& operator=(Child&& o) noexcept {
    if (this != &o) {
      kill_and_reap();
      pid = std::exchange(o.pid, -1);
      out = std::exchange(o.out, nullptr);
    }
    return *this;
  }
  ~Child() { kill_and_reap(); }

  // SIGKILL, no goodbye (also what a crash looks like to the others).
  void kill_and_reap() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    if (out) {
      std::fclose(out);
      out = nullptr;
    }
  }
};

// The child's environment: this process's, with `env` ("NAME=value") added or
// replacing. Connection strings go there, never into argv (where `ps` shows
// them). Tests run in parallel, so a child takes no fixed metrics port unless
// asked: PW_METRICS defaults to off.
inline std::vector<std::string> child_environment(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  auto overridden = [&](const std::string& name) {
    for (const auto& e : env)
      if (name_of(e) == name) return true;
    return false;
  };
  bool metrics = false;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    if (name_of(entry) == "PW_METRICS") metrics = true;
    if (!overridden(name_of(entry))) out.push_back(entry);
  }
  out.insert(out.end(), env.begin(), env.end());
  if (!metrics && !overridden("PW_METRICS")) out.push_back("PW_METRICS=off");
  return out;
}

// `env` is added to the child's environment (connection strings go there,
// never in argv); a non-empty `stderr_path` collects the child's log lines.
inline Child spawn(std::vector<std::string> args, const std::vector<std::string>& env = {},
                   const std::string& stderr_path = {}) {
  int fds[2];
  if (::pipe(fds) != 0) return Child{};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  if (!stderr_path.empty())
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment = child_environment(env);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  Child c;
  const int rc = posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Child{};
  }
  c.out = ::fdopen(fds[0], "r");
  return c;
}

// SIGTERM, then the exit status (or -1 if it had to be killed).
inline int stop(Child& c, std::chrono::seconds patience) {
  if (c.pid <= 0) return -1;
  ::kill(c.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + patience;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      if (c.out) std::fclose(c.out);
      c.out = nullptr;
      c.pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  c.kill_and_reap();
  return -1;
}

// The bootstrap servers `pagewright dev-broker` printed, or "" if it did not.
inline std::string read_bootstrap(Child& broker) {
  char line[1024] = {};
  if (!broker.out || !std::fgets(line, sizeof line, broker.out)) return {};
  std::string s(line);
  if (s.rfind("bootstrap.servers=", 0) != 0) return {};
  s = s.substr(18);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// What a run of the binary to its end left: its exit status and its output.
struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    size_t from = 0;
    for (size_t nl; (nl = out.find('\n', from)) != std::string::npos; from = nl + 1) v.push_back(out.substr(from, nl - from));
    if (from < out.size()) v.push_back(out.substr(from));
    return v;
  }
};

// Runs the binary to its end. Its stderr goes to `err_path` (kept for a
// person to read) or, when empty, to a file of its own that is removed.
inline CliRun run_cli(std::vector<std::string> args, const std::vector<std::string>& env = {},
                      const std::filesystem::path& err_path = {}) {
  static std::atomic<int> runs{0};
  const auto err = err_path.empty() ? std::filesystem::temp_directory_path() /
                                          ("pw-cli-err-" + std::to_string(::getpid()) + "-" + std::to_string(++runs))
                                    : err_path;
  std::error_code ec;
  std::filesystem::remove(err, ec);
  Child c = spawn(std::move(args), env, err.string());
  CliRun r;
  if (c.pid <= 0) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, c.out)) > 0;) r.out.append(buf, n);
  int status = 0;
  ::waitpid(std::exchange(c.pid, -1), &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* f = std::fopen(err.c_str(), "r")) {
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) r.err.append(buf, n);
    std::fclose(f);
  }
  if (err_path.empty()) std::filesystem::remove(err, ec);
  return r;
}

}  // namespace pw::test
