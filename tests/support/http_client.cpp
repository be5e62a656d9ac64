#include <utility>  // before Asio (g++ 12, C++20)

#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdio>

namespace pw::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpReply::header(const std::string& lowercase_name) const {
  for (const auto& [n, v] : headers)
    if (n == lowercase_name) return v;
  return {};
}

nlohmann::json HttpReply::json() const { return nlohmann::json::parse(body, nullptr, false); }

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  net::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  bool connect() {
    stream = std::make_unique<beast::tcp_stream>(io);
    beast::error_code ec;
    stream->socket().connect(tcp::endpoint(net::ip::make_address(host), port), ec);
    if (ec) {
      stream.reset();
      return false;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    buffer.clear();
    return true;
  }

  bool exchange(http::request<http::string_body>& req, HttpReply& out) {
    if (!stream && !connect()) return false;
    beast::error_code ec;
    http::write(*stream, req, ec);
    if (ec) return false;
    http::response_parser<http::string_body> parser;
    parser.body_limit(512 * 1024 * 1024);
    http::read(*stream, buffer, parser, ec);
    if (ec) return false;
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.headers.clear();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) stream.reset();
    return true;
  }
};

HttpClient::HttpClient(std::string host, uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  if (req.method() == http::verb::unknown) req.method_string(method);
  req.set(http::field::host, impl_->host);
  for (const auto& [n, v] : headers) req.set(n, v);
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    req.body() = body;
    req.prepare_payload();
  }
  req.keep_alive(true);
  HttpReply out;
  // A kept-alive connection the server closed meanwhile: one fresh try.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (impl_->exchange(req, out)) return out;
    impl_->stream.reset();
  }
  return HttpReply{};
}

HttpReply HttpClient::get(const std::string& target, const std::string& token,
                          std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Authorization", "Bearer " + token);
  return request("GET", target, {}, headers);
}

HttpReply HttpClient::send_json(const std::string& method, const std::string& target, const std::string& token,
                                const nlohmann::json& body, std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Authorization", "Bearer " + token);
  headers.emplace_back("Content-Type", "application/json");
  return request(method, target, body.dump(), headers);
}

std::string HttpClient::raw(const std::string& bytes) {
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.socket().connect(tcp::endpoint(net::ip::make_address(impl_->host), impl_->port), ec);
  if (ec) return {};
  net::write(stream.socket(), net::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  timeval timeout{5, 0};  // a server that never closes must not hang the test
  ::setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  for (;;) {
    const size_t n = stream.socket().read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

uint16_t read_listening_port(FILE* out) {
  char line[1024];
  while (out && std::fgets(line, sizeof line, out)) {
    const std::string s(line);
    const auto at = s.find("listening on http://");
    if (at == std::string::npos) continue;
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return 0;
    return static_cast<uint16_t>(std::stoi(s.substr(colon + 1)));
  }
  return 0;
}

}  // namespace pw::test
