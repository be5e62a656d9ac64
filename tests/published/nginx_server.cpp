#include "tests/published/nginx_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/published/fixture.hpp"

extern char** environ;

namespace pw::published {
namespace {

using namespace std::chrono_literals;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '.') out += '\\';  // a domain has no other regex metacharacter
    out += c;
  }
  return out;
}

// The distribution's build flags decide which temp-path directives exist and
// where mime.types lives.
struct BuildInfo {
  std::string flags;
  bool has(const std::string& module) const { return flags.find("--without-http_" + module + "_module") == std::string::npos; }
  std::filesystem::path conf_dir() const {
    auto at = flags.find("--conf-path=");
    if (at == std::string::npos) return "/etc/nginx";
    auto end = flags.find_first_of(" \n", at);
    return std::filesystem::path(flags.substr(at + 12, end - at - 12)).parent_path();
  }
};

std::string main_conf(const std::filesystem::path& prefix, const BuildInfo& info) {
  std::string p = prefix.string();
  std::string c;
  // The master drops workers to "nobody" when root; the store under /tmp may not be theirs.
  if (::geteuid() == 0) c += "user root;\n";
  c += "worker_processes 1;\npid " + p + "/nginx.pid;\nerror_log " + p + "/logs/error.log notice;\n";
  c += "events { worker_connections 64; }\nhttp {\n  access_log " + p + "/logs/access.log;\n";
  c += "  client_body_temp_path " + p + "/tmp/body;\n";
  for (const char* m : {"proxy", "fastcgi", "uwsgi", "scgi"}) {
    if (info.has(m)) c += "  " + std::string(m) + "_temp_path " + p + "/tmp/" + m + ";\n";
  }
  c += "  include " + p + "/conf/pagewright.conf;\n}\n";
  return c;
}

}  // namespace

std::string nginx_binary() {
  const char* env = std::getenv("PW_NGINX");
  if (env != nullptr && *env != '\0') return ::access(env, X_OK) == 0 ? env : "";
  if (::access("/usr/sbin/nginx", X_OK) == 0) return "/usr/sbin/nginx";
  return find_in_path("nginx");
}

Result<std::unique_ptr<NginxServer>> NginxServer::start(const std::string& nginx, const std::filesystem::path& prefix,
                                                        const std::filesystem::path& sites_root,
                                                        const std::string& domain) {
  namespace fs = std::filesystem;
  Ran version = run({nginx, "-V"});
  BuildInfo info{version.err + version.out};
  std::error_code ec;
  for (const char* d : {"conf", "logs", "tmp"}) fs::create_directories(prefix / d, ec);
  fs::copy_file(info.conf_dir() / "mime.types", prefix / "conf/mime.types", ec);
  if (ec) return make_error(Errc::internal, "no mime.types in " + info.conf_dir().string() + ": " + ec.message());

  const uint16_t port = free_port();
  std::string site_conf = slurp(fs::path(PW_SOURCE_DIR) / "ops/nginx/pagewright.conf");
  if (site_conf.empty()) return make_error(Errc::internal, "cannot read ops/nginx/pagewright.conf");
  site_conf = replace_all(site_conf, "@LISTEN@", "127.0.0.1:" + std::to_string(port));
  site_conf = replace_all(site_conf, "@DOMAIN_RE@", regex_escape(domain));
  site_conf = replace_all(site_conf, "@SITES_ROOT@", sites_root.string());
  std::ofstream(prefix / "conf/pagewright.conf") << site_conf;
  std::ofstream(prefix / "conf/nginx.conf") << main_conf(prefix, info);

  Ran test = run({nginx, "-t", "-q", "-p", prefix.string() + "/", "-c", (prefix / "conf/nginx.conf").string()});
  if (test.exit_code != 0) return make_error(Errc::internal, "nginx -t rejected the config:\n" + test.err + test.out);

  std::vector<std::string> argv = {nginx, "-p", prefix.string() + "/", "-c", (prefix / "conf/nginx.conf").string(),
                                   "-g", "daemon off;"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  if (int rc = posix_spawn(&pid, nginx.c_str(), nullptr, nullptr, args.data(), environ); rc != 0) {
    return make_error(Errc::internal, "cannot start nginx: " + std::string(std::strerror(rc)));
  }
  std::unique_ptr<NginxServer> server(new NginxServer(pid, port, prefix));
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (accepts(port)) return server;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return make_error(Errc::internal, "nginx exited at start:\n" + server->error_log());
    }
    std::this_thread::sleep_for(20ms);
  }
  return make_error(Errc::internal, "nginx did not listen on port " + std::to_string(port) + ":\n" + server->error_log());
}

NginxServer::~NginxServer() {
  if (pid_ <= 0) return;
  // SIGTERM makes the master stop its workers before it exits.
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 250; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
}

std::string NginxServer::error_log() const { return slurp(prefix_ / "logs/error.log"); }

}  // namespace pw::published
