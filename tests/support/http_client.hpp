#pragma once
// A small blocking HTTP/1.1 client for tests that talk to a running gateway
// over real sockets (keep-alive; reconnects once when the server closed).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pw::test {

struct HttpReply {
  int status = 0;  // 0: no response (connection failed)
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& lowercase_name) const;
  nlohmann::json json() const;  // discarded value when not JSON
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply get(const std::string& target, const std::string& token,
                std::vector<std::pair<std::string, std::string>> headers = {});
  // Sends `bytes` as they are on a fresh connection and returns everything the
  // server sends back until it closes (or 5 s pass).
  std::string raw(const std::string& bytes);
  HttpReply send_json(const std::string& method, const std::string& target, const std::string& token,
                      const nlohmann::json& body, std::vector<std::pair<std::string, std::string>> headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "pagewright: listening on http://HOST:PORT" read from a child's stdout; 0 if
// the line did not come.
uint16_t read_listening_port(FILE* out);

}  // namespace pw::test
