#pragma once
// The gateway's HTTP/1.1 server: the only code that touches sockets (Beast and
// Asio stay inside http_server.cpp). It parses requests, hands each one to the
// HttpHandler as an HttpRequest on an I/O thread and writes the HttpResponse
// the handler passes to `respond` (from any thread, now or later).
//
// Per connection: one request at a time (the next is read after the response
// is written), HTTP/1.1 keep-alive and HTTP/1.0 (with or without keep-alive).
// - A body over `max_body` (Content-Length or chunked) → the handler is called
//   with `body_too_large = true` and an empty body; its response is written and
//   the connection closed.
// - Headers over `max_header` → ProtocolErrorResponder(431, …); any other parse
//   error → ProtocolErrorResponder(400, …); the connection is closed.
// - No request started within `idle_timeout`, or a started request not in full
//   within `read_timeout` → the connection is closed. A response write must also
//   complete within `read_timeout`.
// - `respond` may be called from any thread; a second call is ignored, and a
//   response for a connection that is gone (or a server that stopped) is
//   dropped quietly.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "events/result.hpp"
#include "gateway/api_json.hpp"
#include "gateway/http_types.hpp"

namespace pw::gateway {

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                        // 0 = pick a free port (see port())
  int threads = 2;                          // I/O threads
  size_t max_body = kMaxBodyBytes;          // longer bodies: body_too_large
  // When set: the body limit of each request by its method and target (read
  // once its head is in), at most max_body.
  std::function<size_t(std::string_view method, std::string_view target)> max_body_for = {};
  size_t max_header = 16 * 1024;            // longer request heads: 431
  std::chrono::seconds idle_timeout{60};    // keep-alive connection with no request
  std::chrono::seconds read_timeout{30};    // a started request must arrive in full
};

// Builds the response for a request the server could not parse (status 400, or
// 431 for huge headers) — the gateway supplies one in the API's error format.
// Also used (status 500) when the handler throws before responding.
using ProtocolErrorResponder = std::function<HttpResponse(int status, std::string message)>;

class HttpServer {
 public:
  // Binds host:port, listens, and starts `config.threads` I/O threads.
  // Errors: Errc::internal (bad address, bind/listen failure, threads < 1).
  static Result<std::unique_ptr<HttpServer>> start(HttpServerConfig config, HttpHandler handler,
                                                   ProtocolErrorResponder on_protocol_error);
  ~HttpServer();  // = shutdown(5s)

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port

  // Graceful: stop accepting; requests already read still get their handler's
  // response written (then their connection closes); idle keep-alive
  // connections and requests still being read are closed; waits up to `grace`
  // for in-flight exchanges, then closes everything and joins the I/O threads.
  // Idempotent. Must not be called from a handler running on an I/O thread.
  void shutdown(std::chrono::milliseconds grace);

  struct State;  // implementation (http_server.cpp)

 private:
  explicit HttpServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace pw::gateway
