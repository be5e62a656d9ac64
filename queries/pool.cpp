#include "queries/pool.hpp"

#include <pqxx/pqxx>
#include <utility>

namespace pw::queries::detail {

Lease::Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)), broken_(other.broken_) {}

Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(conn_), broken_);
}

Pool::Pool(std::string conninfo, size_t size, std::chrono::milliseconds statement_timeout, std::string role)
    : conninfo_(std::move(conninfo)), size_(size), statement_timeout_(statement_timeout), role_(std::move(role)) {}

Pool::~Pool() = default;

size_t Pool::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

Result<std::unique_ptr<pqxx::connection>> Pool::open_connection() {
  try {
    auto c = std::make_unique<pqxx::connection>(conninfo_);
    // A number of milliseconds (not client input). set_variable, unlike a
    // plain SET, is restored by libpqxx should it ever reconnect this object.
    c->set_variable("statement_timeout", std::to_string(statement_timeout_.count()));
    if (!role_.empty()) c->set_variable("role", c->quote_name(role_));
    prepare_statements(*c);
    return c;
  } catch (const pqxx::broken_connection& e) {
    return make_error(Errc::unavailable, std::string("read model: cannot connect: ") + e.what());
  } catch (const pqxx::failure& e) {
    return make_error(Errc::unavailable, std::string("read model: connection setup failed: ") + e.what());
  } catch (const pqxx::usage_error& e) {
    return make_error(Errc::internal, std::string("read model: connection setup: ") + e.what());
  }
}

Result<Lease> Pool::checkout(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    if (!cv_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < size_; }))
      return make_error(Errc::unavailable, "read model: no free database connection");
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->is_open()) return Lease(this, std::move(c));
      --open_;  // closed underneath us: drop it and open another
      continue;
    }
    ++open_;  // reserve the slot, open outside the lock
    lock.unlock();
    auto c = open_connection();
    if (!c.ok()) {
      lock.lock();
      --open_;
      cv_.notify_one();
      return c.error();
    }
    return Lease(this, std::move(c).value());
  }
}

void Pool::give_back(std::unique_ptr<pqxx::connection> conn, bool broken) {
  {
    std::lock_guard lock(mu_);
    if (conn && !broken && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
  // A broken connection is closed here, outside the lock (conn's destructor).
}

}  // namespace pw::queries::detail
