// The gateway's Beast server over real loopback sockets, driven by a small
// raw-socket HTTP/1.1 client.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/http_server.hpp"

namespace {

using namespace std::chrono_literals;
using pw::gateway::HttpRequest;
using pw::gateway::HttpResponse;
using pw::gateway::HttpServer;
using pw::gateway::HttpServerConfig;
using pw::gateway::Respond;

// ---- a tiny blocking client ------------------------------------------------

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lowercase names
    std::string body;
    bool chunked = false;
  };

  // Reads one response; nullopt on EOF/error/timeout before it is complete.
  std::optional<Response> read_response(std::chrono::milliseconds timeout = 5000ms) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    Response r;
    std::string line;
    if (!read_line(line)) return std::nullopt;
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return std::nullopt;
    r.status = std::stoi(line.substr(9, 3));
    for (;;) {
      if (!read_line(line)) return std::nullopt;
      if (line.empty()) break;
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    if (r.headers.count("transfer-encoding") && r.headers["transfer-encoding"] == "chunked") {
      r.chunked = true;
      for (;;) {
        if (!read_line(line)) return std::nullopt;
        size_t n = std::stoul(line, nullptr, 16);
        if (n == 0) {
          if (!read_line(line)) return std::nullopt;  // no trailers
          break;
        }
        std::string chunk;
        if (!read_exact(n, chunk)) return std::nullopt;
        r.body += chunk;
        if (!read_line(line) || !line.empty()) return std::nullopt;
      }
    } else if (r.headers.count("content-length")) {
      if (!read_exact(std::stoul(r.headers["content-length"]), r.body)) return std::nullopt;
    }
    return r;
  }

  // True if the server closed the connection (EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = 3000ms) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    if (!buf_.empty()) return false;  // unread data: not (yet) closed
    return fill() == 0;               // 0 = EOF or reset; 1 = data; -1 = timeout
  }

 private:
  // 1 = data, 0 = EOF or error, -1 = timeout
  int fill() {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(left.count()));
    if (pr == 0) return -1;
    if (pr < 0) return 0;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    buf_.append(tmp, static_cast<size_t>(n));
    return 1;
  }
  bool read_line(std::string& line) {
    for (;;) {
      auto pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return true;
      }
      if (fill() != 1) return false;
    }
  }
  bool read_exact(size_t n, std::string& out) {
    while (buf_.size() < n)
      if (fill() != 1) return false;
    out = buf_.substr(0, n);
    buf_.erase(0, n);
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  std::chrono::steady_clock::time_point deadline_;
};

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}
std::string post(const std::string& target, const std::string& body, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

HttpResponse protocol_error(int status, std::string message) {
  HttpResponse r;
  r.status = status;
  r.set_header("Content-Type", "application/json");
  r.body = R"({"success":false,"error":{"code":"PROTOCOL","message":")" + message + "\"}}";
  return r;
}

// Echoes "<method> <target> <body>" and records the requests.
struct Recorder {
  std::mutex mu;
  std::vector<HttpRequest> requests;
  void operator()(HttpRequest req, Respond respond) {
    HttpResponse r;
    r.set_header("Content-Type", "text/plain");
    r.body = req.method + " " + req.target + " " + req.body;
    {
      std::lock_guard lk(mu);
      requests.push_back(std::move(req));
    }
    respond(std::move(r));
  }
};

std::unique_ptr<HttpServer> start(pw::gateway::HttpHandler h, HttpServerConfig cfg = {}) {
  auto s = HttpServer::start(std::move(cfg), std::move(h), protocol_error);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

// ---- tests ----------------------------------------------------------------

TEST(HttpServer, KeepAliveThreeRequestsOneConnection) {
  auto rec = std::make_shared<Recorder>();
  auto server = start([rec](HttpRequest q, Respond r) { (*rec)(std::move(q), std::move(r)); });
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    std::string body = "{\"n\":" + std::to_string(i) + "}";
    ASSERT_TRUE(c.send(post("/v1/sites/" + std::to_string(i) + "?x=1", body,
                            "X-Custom-Header: Abc\r\nAuthorization: Bearer T\r\nX-Custom-Header: Second\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /v1/sites/" + std::to_string(i) + "?x=1 " + body);
    EXPECT_EQ(r->headers["content-type"], "text/plain");
    EXPECT_EQ(r->headers["content-length"], std::to_string(r->body.size()));
  }
  std::lock_guard lk(rec->mu);
  ASSERT_EQ(rec->requests.size(), 3u);
  const auto& q = rec->requests[1];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.target, "/v1/sites/1?x=1");
  EXPECT_EQ(q.body, "{\"n\":1}");
  EXPECT_FALSE(q.body_too_large);
  EXPECT_EQ(q.header("x-custom-header"), "Abc");
  EXPECT_EQ(q.header("authorization"), "Bearer T");
  EXPECT_EQ(q.header("host"), "t");
  // The client's address comes from the socket (rate limits count by it).
  EXPECT_EQ(q.peer, "127.0.0.1");
  int custom = 0;
  for (const auto& [n, v] : q.headers) {
    for (char ch : n) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(ch))) << n;
    if (n == "x-custom-header") ++custom;
  }
  EXPECT_EQ(custom, 2);  // every header line kept
}

TEST(HttpServer, PipelinedRequestsAnsweredInOrder) {
  auto rec = std::make_shared<Recorder>();
  auto server = start([rec](HttpRequest q, Respond r) { (*rec)(std::move(q), std::move(r)); });
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/a") + post("/b", "xyz") + get("/c")));
  for (const char* want : {"GET /a ", "POST /b xyz", "GET /c "}) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, want);
  }
}

TEST(HttpServer, ConcurrentConnections) {
  auto server = start([](HttpRequest q, Respond r) {
    HttpResponse res;
    res.body = q.target + "|" + q.body;
    r(std::move(res));
  });
  ASSERT_TRUE(server);
  constexpr int kClients = 50, kRequests = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kClients; ++i)
    ts.emplace_back([&, i] {
      Client c(server->port());
      if (!c.connected()) return;
      for (int j = 0; j < kRequests; ++j) {
        std::string target = "/c" + std::to_string(i) + "/r" + std::to_string(j);
        std::string body(static_cast<size_t>(j * 37), static_cast<char>('a' + i % 26));
        if (!c.send(post(target, body))) return;
        auto r = c.read_response();
        if (r && r->status == 200 && r->body == target + "|" + body) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST(HttpServer, DelayedRespondFromAnotherThread) {
  std::mutex mu;
  std::vector<std::thread> workers;
  auto server = start([&](HttpRequest q, Respond r) {
    std::lock_guard lk(mu);
    workers.emplace_back([q = std::move(q), r = std::move(r)] {
      std::this_thread::sleep_for(200ms);
      HttpResponse res;
      res.status = 201;
      res.body = "late " + q.target;
      r(std::move(res));
    });
  });
  ASSERT_TRUE(server);
  Client c(server->port());
  for (int i = 0; i < 2; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.send(get("/slow" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 190ms);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "late /slow" + std::to_string(i));
  }
  server->shutdown(1s);
  for (auto& t : workers) t.join();
}

TEST(HttpServer, SecondRespondIgnored) {
  auto server = start([](HttpRequest q, Respond r) {
    HttpResponse a;
    a.body = "first " + q.target;
    HttpResponse b;
    b.body = "second " + q.target;
    r(std::move(a));
    r(std::move(b));
  });
  ASSERT_TRUE(server);
  Client c(server->port());
  for (const char* t : {"/x", "/y"}) {
    ASSERT_TRUE(c.send(get(t)));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, std::string("first ") + t);
  }
}

TEST(HttpServer, ContentLengthOverLimitGetsHandlersResponseAndCloses) {
  std::atomic<bool> saw_too_large{false};
  std::atomic<bool> saw_header{false};
  auto server = start([&](HttpRequest q, Respond r) {
    HttpResponse res;
    if (q.body_too_large) {
      saw_too_large = q.body.empty();
      saw_header = q.header("x-trace") == "t1" && q.target == "/big";
      res.status = 413;
      res.body = R"({"success":false,"error":{"code":"PAYLOAD_TOO_LARGE"}})";
    } else {
      res.body = std::to_string(q.body.size());
    }
    r(std::move(res));
  });
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    std::string body(pw::gateway::kMaxBodyBytes + 1, 'x');
    std::thread sender([&] { (void)c.send(post("/big", body, "X-Trace: t1\r\n")); });
    auto r = c.read_response();
    sender.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_NE(r->body.find("PAYLOAD_TOO_LARGE"), std::string::npos);
    EXPECT_TRUE(saw_too_large.load());
    EXPECT_TRUE(saw_header.load());
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // exactly max_body bytes passes
    Client c(server->port());
    std::string body(pw::gateway::kMaxBodyBytes, 'y');
    std::thread sender([&] { (void)c.send(post("/exact", body)); });
    auto r = c.read_response();
    sender.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(pw::gateway::kMaxBodyBytes));
  }
}

TEST(HttpServer, ChunkedRequestBodyOverLimit) {
  HttpServerConfig cfg;
  cfg.max_body = 100;
  auto server = start(
      [](HttpRequest q, Respond r) {
        HttpResponse res;
        res.status = q.body_too_large ? 413 : 200;
        res.body = q.body;
        r(std::move(res));
      },
      cfg);
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "32\r\n" + std::string(50, 'a') + "\r\n32\r\n" + std::string(50, 'b') + "\r\n0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::string(50, 'a') + std::string(50, 'b'));
  }
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "32\r\n" + std::string(50, 'a') + "\r\n33\r\n" + std::string(51, 'b') + "\r\n0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST(HttpServer, MalformedRequestLineGets400AndCloses) {
  std::atomic<int> calls{0};
  auto server = start([&](HttpRequest, Respond r) {
    ++calls;
    r(HttpResponse{});
  });
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send("GARBAGE\x01 / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("PROTOCOL"), std::string::npos);
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, HugeHeaderGets431) {
  HttpServerConfig cfg;
  cfg.max_header = 1024;
  auto server = start([](HttpRequest, Respond r) { r(HttpResponse{}); }, cfg);
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/", "X-Big: " + std::string(4000, 'z') + "\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, ChunkedStreamingResponse) {
  auto server = start([](HttpRequest, Respond r) {
    HttpResponse res;
    res.set_header("Content-Type", "application/x-ndjson");
    res.body = "{\"head\":true}\n";
    auto n = std::make_shared<int>(0);
    res.next_chunk = [n]() -> std::optional<std::string> {
      if (*n == 100) return std::nullopt;
      int i = (*n)++;
      if (i == 50) return std::string();  // an empty chunk must not end the body
      return "{\"i\":" + std::to_string(i) + "}\n";
    };
    r(std::move(res));
  });
  ASSERT_TRUE(server);
  std::string want = "{\"head\":true}\n";
  for (int i = 0; i < 100; ++i)
    if (i != 50) want += "{\"i\":" + std::to_string(i) + "}\n";
  Client c(server->port());
  for (int k = 0; k < 2; ++k) {  // the connection stays usable after a stream
    ASSERT_TRUE(c.send(get("/stream")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->chunked);
    EXPECT_EQ(r->headers.count("content-length"), 0u);
    EXPECT_EQ(r->headers["content-type"], "application/x-ndjson");
    EXPECT_EQ(r->body, want);
  }
  // HTTP/1.0 cannot take chunks: the stream is sent whole.
  Client c10(server->port());
  ASSERT_TRUE(c10.send("GET /stream HTTP/1.0\r\n\r\n"));
  auto r = c10.read_response();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->chunked);
  EXPECT_EQ(r->body, want);
  EXPECT_TRUE(c10.closed_by_peer());
}

TEST(HttpServer, Http10KeepAliveAndClose) {
  auto rec = std::make_shared<Recorder>();
  auto server = start([rec](HttpRequest q, Respond r) { (*rec)(std::move(q), std::move(r)); });
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /a ");
    ASSERT_TRUE(c.send("GET /b HTTP/1.0\r\n\r\n"));
    r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /b ");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    Client c(server->port());
    ASSERT_TRUE(c.send(get("/c", "Connection: close\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST(HttpServer, HalfClosedClientStillGetsResponse) {
  auto rec = std::make_shared<Recorder>();
  auto server = start([rec](HttpRequest q, Respond r) { (*rec)(std::move(q), std::move(r)); });
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send(post("/half", "b")));
  c.shutdown_write();
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /half b");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, HandlerThrowGets500) {
  auto server = start([](HttpRequest, Respond) { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST(HttpServer, IdleAndReadTimeoutsClose) {
  HttpServerConfig cfg;
  cfg.idle_timeout = 1s;
  cfg.read_timeout = 1s;
  auto rec = std::make_shared<Recorder>();
  auto server = start([rec](HttpRequest q, Respond r) { (*rec)(std::move(q), std::move(r)); }, cfg);
  ASSERT_TRUE(server);
  Client idle(server->port());
  ASSERT_TRUE(idle.send(get("/once")));
  ASSERT_TRUE(idle.read_response());
  Client slow(server->port());  // slowloris: a request that never completes
  ASSERT_TRUE(slow.send("GET / HTTP/1.1\r\nHost: t\r\nX-A: "));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.closed_by_peer(3000ms));
  EXPECT_TRUE(slow.closed_by_peer(3000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

TEST(HttpServer, RespondAfterClientDisconnected) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Respond> pending;
  auto server = start([&](HttpRequest q, Respond r) {
    if (q.target == "/later") {
      std::lock_guard lk(mu);
      pending = std::move(r);
      cv.notify_all();
      return;
    }
    HttpResponse res;
    res.body = "now";
    r(std::move(res));
  });
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    ASSERT_TRUE(c.send(get("/later")));
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 3s, [&] { return pending.has_value(); }));
  }  // the client is gone
  std::this_thread::sleep_for(50ms);
  HttpResponse big;
  big.body = std::string(1 << 20, 'q');  // large enough that the write hits the reset
  (*pending)(std::move(big));
  std::this_thread::sleep_for(100ms);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/now")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "now");
  server.reset();
  // A respond after the server is gone is dropped quietly too.
  HttpResponse again;
  (*pending)(std::move(again));
}

TEST(HttpServer, RespondAfterServerDestroyed) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Respond> pending;
  auto server = start([&](HttpRequest, Respond r) {
    std::lock_guard lk(mu);
    pending = std::move(r);
    cv.notify_all();
  });
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/never")));
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 3s, [&] { return pending.has_value(); }));
  }
  auto t0 = std::chrono::steady_clock::now();
  server->shutdown(200ms);  // grace runs out: the connection is closed
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(c.closed_by_peer());
  server.reset();
  (*pending)(HttpResponse{});  // dropped
  pending.reset();             // the last reference to the connection and the io_context
}

TEST(HttpServer, GracefulShutdown) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Respond> pending;
  auto server = start([&](HttpRequest q, Respond r) {
    if (q.target == "/slow") {
      std::lock_guard lk(mu);
      pending = std::move(r);
      cv.notify_all();
      return;
    }
    HttpResponse res;
    res.body = "fast";
    r(std::move(res));
  });
  ASSERT_TRUE(server);
  const uint16_t port = server->port();

  Client idle(port);  // a keep-alive connection between requests
  ASSERT_TRUE(idle.send(get("/fast")));
  ASSERT_TRUE(idle.read_response());

  Client inflight(port);
  ASSERT_TRUE(inflight.send(get("/slow")));
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 3s, [&] { return pending.has_value(); }));
  }

  std::atomic<bool> began{false};
  std::thread stopper([&] {
    began = true;
    server->shutdown(5s);
  });
  while (!began) std::this_thread::yield();
  std::thread responder([&] {
    std::this_thread::sleep_for(300ms);
    HttpResponse res;
    res.status = 200;
    res.body = "slow done";
    (*pending)(std::move(res));
  });

  EXPECT_TRUE(idle.closed_by_peer());  // idle keep-alive connections are closed
  std::this_thread::sleep_for(50ms);
  Client late(port);
  EXPECT_FALSE(late.connected());  // no longer accepting

  auto r = inflight.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(inflight.closed_by_peer());
  responder.join();
  stopper.join();
  server->shutdown(1s);  // idempotent
  Client after(port);
  EXPECT_FALSE(after.connected());
}

TEST(HttpServer, StartFailsOnBadAddressAndBusyPort) {
  auto bad = HttpServer::start(HttpServerConfig{.host = "not an address!"}, [](HttpRequest, Respond) {},
                               protocol_error);
  EXPECT_FALSE(bad.ok());
  auto first = start([](HttpRequest, Respond r) { r(HttpResponse{}); });
  ASSERT_TRUE(first);
  HttpServerConfig cfg;
  cfg.port = first->port();
  auto second = HttpServer::start(cfg, [](HttpRequest, Respond) {}, protocol_error);
  EXPECT_FALSE(second.ok());
}

}  // namespace
