// pw_bare_beast: the baseline of DESIGN.md's ingest benchmark — a bare Beast
// async HTTP/1.1 server with the same kind of session as gateway/http_server
// (strand per connection, one request at a time, keep-alive, tcp_stream
// timeouts) but no handler logic: every request gets 200 and a small fixed
// JSON body.
//
//   pw_bare_beast [--host H] [--port P] [--threads N]
// prints "listening H:P" once listening; exits on SIGTERM/SIGINT.
#include <utility>  // before Boost.Asio (g++ 12, C++20)

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kBody = R"({"success":true,"data":{"ok":true}})";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}
  void start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this())); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }
  void on_read(beast::error_code ec, size_t) {
    if (ec) return close();
    const auto& req = parser_->get();
    res_.emplace(http::status::ok, req.version());
    res_->set(http::field::content_type, "application/json");
    res_->body() = kBody;
    res_->keep_alive(req.keep_alive());
    res_->prepare_payload();
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }
  void on_write(beast::error_code ec, size_t) {
    if (ec) return close();
    bool keep = res_->keep_alive();
    res_.reset();
    if (!keep) {
      beast::error_code sec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, sec);
      return;
    }
    do_read();
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor) : ioc_(ioc), acceptor_(std::move(acceptor)) {}
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      beast::error_code oec;
      socket.set_option(tcp::no_delay(true), oec);
      std::make_shared<Session>(std::move(socket))->start();
    }
    do_accept();
  }
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

int usage() {
  std::fprintf(stderr, "usage: pw_bare_beast [--host H] [--port P] [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned long port = 0;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--host") host = argv[++i];
    else if (a == "--port") port = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--threads") threads = std::atoi(argv[++i]);
    else return usage();
  }
  if (threads < 1 || port > 65535) return usage();

  net::io_context ioc(threads);
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    std::fprintf(stderr, "pw_bare_beast: bad address %s: %s\n", host.c_str(), ec.message().c_str());
    return 1;
  }
  tcp::endpoint ep(address, static_cast<unsigned short>(port));
  tcp::acceptor acceptor(net::make_strand(ioc));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "pw_bare_beast: cannot listen on %s:%lu: %s\n", host.c_str(), port, ec.message().c_str());
    return 1;
  }
  const auto bound = acceptor.local_endpoint().port();
  std::make_shared<Listener>(ioc, std::move(acceptor))->do_accept();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });

  std::cout << "listening " << host << ":" << bound << std::endl;

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
