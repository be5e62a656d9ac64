#pragma once
// The gateway's view of an HTTP exchange, free of Beast: the server (the only
// code that touches sockets, gateway/http_server.*) turns each parsed request
// into an HttpRequest, calls the HttpHandler, and writes the HttpResponse the
// handler passes to `respond`. The handler is therefore testable without
// sockets: call it and collect what it responds.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::gateway {

struct HttpRequest {
  std::string method;   // "GET", exactly as sent
  std::string target;   // origin-form: path and query
  // Header names in lowercase, values as sent (one entry per header line).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's address as the socket sees it ("127.0.0.1", "::1"); empty
  // when unknown. Never taken from a header (see rate_limit.hpp).
  std::string peer;
  // The server refused to read a body longer than the limit: `body` is empty
  // and the handler must answer 413 (the connection is closed afterwards).
  bool body_too_large = false;

  // The first value of header `lowercase_name`, if any.
  std::optional<std::string_view> header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers)
      if (name == lowercase_name) return std::string_view(value);
    return std::nullopt;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "application/json"}
  std::string body;
  // Set for streamed bodies (NDJSON): called repeatedly, each returned chunk is
  // sent with chunked transfer encoding after `body`; nullopt ends the body.
  // With a Content-Length header (the total of `body` and every chunk), the
  // body is sent unchunked with that length instead (files, ranges); a HEAD
  // response reports it too. Runs on the server's threads, so it must not
  // block for long.
  std::function<std::optional<std::string>()> next_chunk;

  void set_header(std::string name, std::string value) {
    for (auto& [n, v] : headers)
      if (n == name) {
        v = std::move(value);
        return;
      }
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Called exactly once per request, from any thread.
using Respond = std::function<void(HttpResponse)>;
// Answers a request by calling `respond` now or later (after a command is
// decided or a query ran on another thread). Must not block the caller for long:
// it runs on the server's I/O threads.
using HttpHandler = std::function<void(HttpRequest, Respond)>;

}  // namespace pw::gateway
