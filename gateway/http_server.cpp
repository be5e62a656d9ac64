// The Beast/Asio side of the gateway: the only translation unit of the gateway
// library that includes Boost.Beast or Boost.Asio.
//
// Lifetimes: HttpServer owns a shared State (io_context, acceptor, the registry
// of open sessions). A Session lives as long as an asynchronous operation or a
// Respond refers to it; a Respond also holds the State, so a late respond (after
// the server was destroyed) never posts to a dead io_context. The io_context is
// the last member of State, so it is destroyed first: handlers still queued in
// it own sessions, whose destructors use the State's registry.
#include <utility>  // before Boost.Asio (g++ 12, C++20)

#include "gateway/http_server.hpp"
#include "events/logging.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace pw::gateway {

namespace http_detail {

class Session;

void log_error(std::string_view what, const beast::error_code& ec) {
  logging::warn(what, {{"component", "http_server"}, {"error", ec.message()}});
}
void log_error(std::string_view what, std::string_view detail) {
  logging::warn(what, {{"component", "http_server"}, {"error", detail}});
}

// Errors that are a normal part of a client's (or our own shutdown's) life.
bool is_quiet(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::not_connected || ec == net::error::bad_descriptor ||
         ec == net::error::shut_down || ec == beast::error::timeout ||
         ec == http::error::end_of_stream || ec == http::error::partial_message;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool contains_token_close(std::string_view value) {
  // "close" as a token of a comma-separated Connection value, case-insensitive.
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find(',', pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view tok = value.substr(pos, end - pos);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
    if (iequals(tok, "close")) return true;
    pos = end + 1;
  }
  return false;
}

// A handler's Content-Length value; nullopt unless plain digits.
std::optional<uint64_t> parse_length(std::string_view v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace http_detail

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  HttpServerConfig config;
  HttpHandler handler;
  ProtocolErrorResponder on_protocol_error;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<http_detail::Session>> open_sessions;
  uint64_t next_session_id = 0;
  bool accepting_posts = true;  // false once the I/O threads are being stopped
  int threads_running = 0;

  std::mutex shutdown_mu;  // serialises shutdown()
  bool shut_down = false;  // under shutdown_mu
  std::vector<std::thread> threads;

  // Declared last so that they are destroyed first (see the file comment).
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void run_thread();
  void shutdown(std::chrono::milliseconds grace);
};

namespace http_detail {

using State = HttpServer::State;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(State& st, uint64_t id, tcp::socket&& socket, std::string peer)
      : st_(st), id_(id), stream_(std::move(socket)), peer_(std::move(peer)) {}
  ~Session() { unregister(); }

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

  // On the strand: close a connection that is waiting for (or reading) a request.
  void close_if_reading() {
    if (phase_ == Phase::reading) do_close();
  }
  void force_close() { do_close(); }

  // On the strand: the handler's response for exchange `exchange`.
  void on_response(uint64_t exchange, HttpResponse r);

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class Phase { reading, handling, writing, closing, closed };

  void do_read();
  void on_first_bytes(beast::error_code ec, size_t n);
  void read_request();
  void on_header(beast::error_code ec, size_t n);
  void on_read(beast::error_code ec, size_t n);
  HttpRequest take_request(bool with_body);
  void call_handler(HttpRequest request);
  void respond_protocol_error(int status, std::string message);
  void on_write(beast::error_code ec, size_t n);
  void start_chunked(http::response<http::empty_body> head, std::string first);
  void on_chunk_head(beast::error_code ec, size_t n);
  void next_chunk();
  void on_chunk(beast::error_code ec, size_t n);
  void on_last_chunk(beast::error_code ec, size_t n);
  void finish_exchange();
  void close_gracefully();
  void on_drain(beast::error_code ec, size_t n);
  void do_close();
  void unregister();

  State& st_;
  const uint64_t id_;
  beast::tcp_stream stream_;
  const std::string peer_;  // the remote address, once per connection
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Phase phase_ = Phase::reading;
  uint64_t exchange_ = 0;
  // Of the current request.
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool head_ = false;
  bool close_after_ = false;
  // Of the current response.
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::response<http::empty_body>> chunk_head_;
  std::optional<http::response_serializer<http::empty_body>> chunk_sr_;
  std::function<std::optional<std::string>()> next_chunk_;
  std::string chunk_;
  bool unframed_ = false;       // the stream has a Content-Length: no chunk framing
  uint64_t unframed_left_ = 0;  // bytes of it still to come
  std::array<char, 8192> drain_{};
  bool unregistered_ = false;
};

// What the handler receives as `respond`: copyable, callable from any thread,
// effective once. Member order matters: the session is released before the
// state that owns its io_context.
struct Responder {
  std::shared_ptr<State> state;
  std::shared_ptr<Session> session;
  std::shared_ptr<std::atomic<bool>> done;
  uint64_t exchange = 0;

  void operator()(HttpResponse r) const {
    if (done->exchange(true)) return;  // a second respond is ignored
    std::lock_guard lk(state->mu);
    if (!state->accepting_posts) return;  // the server stopped: drop quietly
    net::post(session->executor(), [s = session, ex = exchange, r = std::move(r)]() mutable {
      s->on_response(ex, std::move(r));
    });
  }
};

void Session::unregister() {
  if (unregistered_) return;
  unregistered_ = true;
  std::lock_guard lk(st_.mu);
  st_.open_sessions.erase(id_);
  st_.cv.notify_all();
}

void Session::do_read() {
  if (phase_ == Phase::closed) return;
  if (st_.stopping.load()) return do_close();
  phase_ = Phase::reading;
  close_after_ = false;
  parser_.emplace();
  parser_->body_limit(st_.config.max_body);
  parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(st_.config.max_header, UINT32_MAX)));
  if (buffer_.size() == 0) {
    // Idle: wait for the first bytes of the next request.
    stream_.expires_after(st_.config.idle_timeout);
    stream_.async_read_some(buffer_.prepare(8192),
                            beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  } else {
    read_request();  // pipelined bytes already buffered
  }
}

void Session::on_first_bytes(beast::error_code ec, size_t n) {
  if (phase_ != Phase::reading) return;
  if (ec) {
    if (!http_detail::is_quiet(ec)) log_error("read", ec);
    return do_close();
  }
  buffer_.commit(n);
  read_request();
}

void Session::read_request() {
  stream_.expires_after(st_.config.read_timeout);
  if (!st_.config.max_body_for) {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    return;
  }
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

// The head is in: the request's own limit replaces the server's largest one
// before any of the body is read.
void Session::on_header(beast::error_code ec, size_t n) {
  if (phase_ != Phase::reading) return;
  if (ec) return on_read(ec, n);
  const auto& m = parser_->get();
  const auto method = m.method_string();
  const auto target = m.target();
  const size_t limit = std::min(st_.config.max_body, st_.config.max_body_for(std::string_view(method.data(), method.size()),
                                                                            std::string_view(target.data(), target.size())));
  if (const auto length = parser_->content_length(); length && *length > limit)
    return on_read(http::error::body_limit, n);
  parser_->body_limit(limit);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_read(beast::error_code ec, size_t) {
  if (phase_ != Phase::reading) return;
  if (ec == http::error::body_limit) {
    HttpRequest r = take_request(false);
    r.body_too_large = true;
    close_after_ = true;
    return call_handler(std::move(r));
  }
  if (ec == http::error::header_limit) return respond_protocol_error(431, "request header fields too large");
  if (ec) {
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message &&
        ec != http::error::buffer_overflow && ec != http::error::need_more) {
      return respond_protocol_error(400, "malformed HTTP request: " + ec.message());
    }
    if (!http_detail::is_quiet(ec)) log_error("read", ec);
    return do_close();
  }
  call_handler(take_request(true));
}

HttpRequest Session::take_request(bool with_body) {
  auto& m = parser_->get();
  HttpRequest r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  r.peer = peer_;
  r.headers.reserve(static_cast<size_t>(std::distance(m.begin(), m.end())));
  for (const auto& f : m) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  if (with_body) r.body = std::move(m.body());
  keep_alive_ = m.keep_alive();
  version_ = m.version() == 10 ? 10 : 11;
  head_ = m.method() == http::verb::head;
  return r;
}

void Session::call_handler(HttpRequest request) {
  phase_ = Phase::handling;
  ++exchange_;
  stream_.expires_never();
  Responder respond{st_.shared_from_this(), shared_from_this(), std::make_shared<std::atomic<bool>>(false),
                    exchange_};
  std::string failure;
  try {
    st_.handler(std::move(request), Respond(respond));
    return;
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {  // a handler must not take the I/O thread down; answered with 500 below
    failure = "unknown exception";
  }
  log_error("handler threw", failure);
  HttpResponse r;
  try {
    r = st_.on_protocol_error(500, "internal error");
  } catch (const std::exception& e) {
    log_error("protocol error responder threw", e.what());
    r = HttpResponse{500, {{"Content-Type", "text/plain"}}, "internal error", {}};
  }
  close_after_ = true;
  respond(std::move(r));  // ignored if the handler responded before throwing
}

void Session::respond_protocol_error(int status, std::string message) {
  phase_ = Phase::handling;
  ++exchange_;
  keep_alive_ = false;
  close_after_ = true;
  version_ = 11;
  head_ = false;
  HttpResponse r;
  try {
    r = st_.on_protocol_error(status, message);
  } catch (const std::exception& e) {
    log_error("protocol error responder threw", e.what());
    r = HttpResponse{status, {{"Content-Type", "text/plain"}}, std::move(message), {}};
  }
  on_response(exchange_, std::move(r));
}

void Session::on_response(uint64_t exchange, HttpResponse r) {
  if (phase_ != Phase::handling || exchange != exchange_) return;  // connection gone, or a stray respond
  phase_ = Phase::writing;
  if (st_.stopping.load()) close_after_ = true;
  for (const auto& [name, value] : r.headers)
    if (http_detail::iequals(name, "connection") && http_detail::contains_token_close(value)) close_after_ = true;
  const bool keep = keep_alive_ && !close_after_;
  if (!keep) close_after_ = true;

  unsigned status = r.status >= 100 && r.status <= 999 ? static_cast<unsigned>(r.status) : 500u;
  auto fill = [&](auto& msg) {
    msg.result(status);
    msg.version(version_);
    for (const auto& [name, value] : r.headers) {
      if (http_detail::iequals(name, "content-length") || http_detail::iequals(name, "transfer-encoding") ||
          http_detail::iequals(name, "connection"))
        continue;
      msg.insert(name, value);
    }
    msg.keep_alive(keep);
  };

  const bool no_body = status < 200 || status == 204 || status == 304;
  // A stream whose length the handler knows (its Content-Length header) is sent
  // with that length and unframed, so ranges and downloads keep their size.
  std::optional<uint64_t> declared;
  if (r.next_chunk || head_)
    for (const auto& [name, value] : r.headers)
      if (http_detail::iequals(name, "content-length")) declared = http_detail::parse_length(value);
  if (r.next_chunk && !no_body && !head_ && declared && *declared >= r.body.size()) {
    http::response<http::empty_body> head;
    fill(head);
    head.content_length(*declared);
    next_chunk_ = std::move(r.next_chunk);
    unframed_left_ = *declared - r.body.size();
    unframed_ = true;
    return start_chunked(std::move(head), std::move(r.body));
  }
  if (r.next_chunk && !no_body && !head_ && version_ >= 11) {
    http::response<http::empty_body> head;
    fill(head);
    head.chunked(true);
    next_chunk_ = std::move(r.next_chunk);
    return start_chunked(std::move(head), std::move(r.body));
  }
  if (r.next_chunk && !no_body && !head_) {
    // HTTP/1.0 has no chunked encoding: collect the stream, send it whole.
    try {
      while (auto c = r.next_chunk()) r.body += *c;
    } catch (const std::exception& e) {
      log_error("next_chunk threw", e.what());
      return do_close();
    }
  }
  res_.emplace();
  fill(*res_);
  if (no_body) {
    res_->body().clear();
    res_->prepare_payload();
  } else if (head_) {
    res_->content_length(declared.value_or(r.body.size()));
  } else {
    res_->body() = std::move(r.body);
    res_->prepare_payload();
  }
  stream_.expires_after(st_.config.read_timeout);
  http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::on_write(beast::error_code ec, size_t) {
  res_.reset();
  if (phase_ != Phase::writing) return;
  if (ec) {
    if (!http_detail::is_quiet(ec)) log_error("write", ec);
    return do_close();
  }
  finish_exchange();
}

void Session::start_chunked(http::response<http::empty_body> head, std::string first) {
  chunk_head_.emplace(std::move(head));
  chunk_sr_.emplace(*chunk_head_);
  chunk_ = std::move(first);
  stream_.expires_after(st_.config.read_timeout);
  http::async_write_header(stream_, *chunk_sr_, beast::bind_front_handler(&Session::on_chunk_head, shared_from_this()));
}

void Session::on_chunk_head(beast::error_code ec, size_t) {
  if (phase_ != Phase::writing) return;
  if (ec) {
    if (!http_detail::is_quiet(ec)) log_error("write", ec);
    return do_close();
  }
  if (!chunk_.empty()) {
    stream_.expires_after(st_.config.read_timeout);
    if (unframed_) {
      net::async_write(stream_, net::buffer(chunk_), beast::bind_front_handler(&Session::on_chunk, shared_from_this()));
      return;
    }
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     beast::bind_front_handler(&Session::on_chunk, shared_from_this()));
    return;
  }
  next_chunk();
}

void Session::next_chunk() {
  std::optional<std::string> c;
  try {
    do {
      c = next_chunk_();
    } while (c && c->empty());  // an empty chunk would end the body
  } catch (const std::exception& e) {
    log_error("next_chunk threw", e.what());
    return do_close();  // the client sees a truncated body (no final chunk)
  }
  stream_.expires_after(st_.config.read_timeout);
  if (unframed_) {
    // The declared length is all the client will read: a stream that ends
    // early or runs over leaves the connection unusable.
    if (c ? c->size() > unframed_left_ : unframed_left_ != 0) {
      log_error("streamed body", "does not match its Content-Length");
      return do_close();
    }
    if (!c) return on_last_chunk({}, 0);
    unframed_left_ -= c->size();
    chunk_ = std::move(*c);
    net::async_write(stream_, net::buffer(chunk_), beast::bind_front_handler(&Session::on_chunk, shared_from_this()));
    return;
  }
  if (!c) {
    net::async_write(stream_, http::make_chunk_last(),
                     beast::bind_front_handler(&Session::on_last_chunk, shared_from_this()));
    return;
  }
  chunk_ = std::move(*c);
  net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                   beast::bind_front_handler(&Session::on_chunk, shared_from_this()));
}

void Session::on_chunk(beast::error_code ec, size_t) {
  if (phase_ != Phase::writing) return;
  if (ec) {
    if (!http_detail::is_quiet(ec)) log_error("write", ec);
    return do_close();
  }
  next_chunk();
}

void Session::on_last_chunk(beast::error_code ec, size_t) {
  next_chunk_ = nullptr;
  unframed_ = false;
  chunk_sr_.reset();
  chunk_head_.reset();
  chunk_.clear();
  if (phase_ != Phase::writing) return;
  if (ec) {
    if (!http_detail::is_quiet(ec)) log_error("write", ec);
    return do_close();
  }
  finish_exchange();
}

void Session::finish_exchange() {
  if (close_after_ || st_.stopping.load()) return close_gracefully();
  do_read();
}

// After a response that ends the connection: send FIN, then read and discard
// what the client still sends (e.g. the rest of a refused body) until it
// closes, so that closing does not reset the connection before the client read
// the response.
void Session::close_gracefully() {
  phase_ = Phase::closing;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return do_close();
  // Shorter while the server stops: shutdown() waits for closing connections.
  stream_.expires_after(st_.stopping.load() ? std::chrono::milliseconds(500) : std::chrono::milliseconds(2000));
  stream_.async_read_some(net::buffer(drain_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
}

void Session::on_drain(beast::error_code ec, size_t) {
  if (phase_ != Phase::closing) return;
  if (ec) return do_close();
  stream_.async_read_some(net::buffer(drain_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
}

void Session::do_close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  stream_.close();  // closes the socket and cancels the expiry timer
  next_chunk_ = nullptr;
  unregister();
}

}  // namespace http_detail

// ---------------------------------------------------------------------------

void HttpServer::State::do_accept() {
  acceptor->async_accept(net::make_strand(ioc), beast::bind_front_handler(&State::on_accept, this));
}

void HttpServer::State::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || stopping.load() || !acceptor->is_open()) return;
  if (ec) {
    // E.g. out of file descriptors: back off briefly rather than spin.
    http_detail::log_error("accept", ec);
    accept_retry->expires_after(std::chrono::milliseconds(50));
    accept_retry->async_wait([this](beast::error_code tec) {
      if (!tec && !stopping.load()) do_accept();
    });
    return;
  }
  beast::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  const auto remote = socket.remote_endpoint(opt_ec);
  std::string peer = opt_ec ? std::string() : remote.address().to_string();
  uint64_t id = 0;
  std::shared_ptr<http_detail::Session> s;
  {
    std::lock_guard lk(mu);
    id = next_session_id++;
    s = std::make_shared<http_detail::Session>(*this, id, std::move(socket), std::move(peer));
    open_sessions.emplace(id, s);
  }
  s->start();
  do_accept();
}

void HttpServer::State::run_thread() {
  for (;;) {
    try {
      ioc.run();
      break;
    } catch (const std::exception& e) {  // nothing should throw here; keep serving if it does
      http_detail::log_error("I/O thread caught", e.what());
    }
  }
  std::lock_guard lk(mu);
  --threads_running;
  cv.notify_all();
}

void HttpServer::State::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard guard(shutdown_mu);
  if (shut_down) return;
  shut_down = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  stopping.store(true);

  // 1. Stop accepting (on the acceptor's strand; refused from now on).
  {
    std::promise<void> closed;
    net::post(acceptor->get_executor(), [this, &closed] {
      beast::error_code ec;
      acceptor->close(ec);
      accept_retry->cancel();
      closed.set_value();
    });
    closed.get_future().wait();
  }

  auto each_session = [this](auto fn) {
    std::vector<std::shared_ptr<http_detail::Session>> live;
    {
      std::lock_guard lk(mu);
      for (auto& [id, weak] : open_sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) net::post(s->executor(), [s, fn] { fn(*s); });
  };

  // 2. Close the connections waiting for a request; the others close after
  //    their response is written.
  each_session([](http_detail::Session& s) { s.close_if_reading(); });

  // 3. Wait for in-flight exchanges.
  {
    std::unique_lock lk(mu);
    cv.wait_until(lk, deadline, [this] { return open_sessions.empty(); });
  }

  // 4. Close everything; later responds are dropped.
  each_session([](http_detail::Session& s) { s.force_close(); });
  {
    std::lock_guard lk(mu);
    accepting_posts = false;
  }

  // 5. Let the I/O threads run out of work, then join them.
  work.reset();
  {
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, std::chrono::seconds(2), [this] { return threads_running == 0; })) {
      lk.unlock();
      ioc.stop();
    }
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// ---------------------------------------------------------------------------

HttpServer::HttpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() { shutdown(std::chrono::seconds(5)); }

uint16_t HttpServer::port() const { return state_->port; }

void HttpServer::shutdown(std::chrono::milliseconds grace) { state_->shutdown(grace); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerConfig config, HttpHandler handler,
                                                      ProtocolErrorResponder on_protocol_error) {
  if (config.threads < 1) return make_error(Errc::internal, "http server: threads must be at least 1");
  if (!handler || !on_protocol_error) return make_error(Errc::internal, "http server: handler missing");
  auto st = std::make_shared<State>();
  st->config = std::move(config);
  st->handler = std::move(handler);
  st->on_protocol_error = std::move(on_protocol_error);
  const auto& cfg = st->config;
  const std::string where = cfg.host + ":" + std::to_string(cfg.port);

  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(cfg.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, cfg.port);
  } else {
    tcp::resolver resolver(st->ioc);
    auto results = resolver.resolve(cfg.host, std::to_string(cfg.port), ec);
    if (ec || results.empty())
      return make_error(Errc::internal, "http server: cannot resolve " + where + ": " + ec.message());
    endpoint = results.begin()->endpoint();
  }

  st->acceptor.emplace(net::make_strand(st->ioc));
  st->accept_retry.emplace(st->acceptor->get_executor());
  auto& acc = *st->acceptor;
  auto fail = [&](const char* step) {
    return make_error(Errc::internal, std::string("http server: ") + step + " " + where + ": " + ec.message());
  };
  if (acc.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acc.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("set_option");
  if (acc.bind(endpoint, ec); ec) return fail("bind");
  if (acc.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  st->port = acc.local_endpoint(ec).port();
  if (ec) return fail("local_endpoint");

  st->work.emplace(net::make_work_guard(st->ioc));
  st->do_accept();
  std::unique_ptr<HttpServer> server(new HttpServer(st));
  try {
    for (int i = 0; i < cfg.threads; ++i) {
      {
        std::lock_guard lk(st->mu);
        ++st->threads_running;
      }
      st->threads.emplace_back([s = st.get()] { s->run_thread(); });
    }
  } catch (const std::system_error& e) {
    {
      std::lock_guard lk(st->mu);
      st->threads_running = static_cast<int>(st->threads.size());
    }
    server->shutdown(std::chrono::milliseconds(0));
    return make_error(Errc::internal, std::string("http server: cannot start threads: ") + e.what());
  }
  return server;
}

}  // namespace pw::gateway
