#pragma once
// A fixed-size pool of reader connections (internal to pagewright::queries,
// whose public header names no libpqxx type).
// checkout() blocks until a connection is free or a slot may be opened, at most
// `timeout`; the Lease returns the connection when it goes out of scope, unless
// it was marked broken, in which case it is closed and its slot freed so the
// next checkout opens a fresh one.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "events/result.hpp"


namespace pw::queries::detail {

class Pool;

class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  pqxx::connection& conn() { return *conn_; }
  // The connection must not be reused (it broke, or its state is unknown).
  void mark_broken() { broken_ = true; }

 private:
  Pool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool broken_ = false;
};

class Pool {
 public:
  Pool(std::string conninfo, size_t size, std::chrono::milliseconds statement_timeout, std::string role = {});
  ~Pool();

  Result<Lease> checkout(std::chrono::milliseconds timeout);
  size_t size() const { return size_; }
  size_t open() const;

 private:
  friend class Lease;
  // Opens a connection with the session settings and prepared statements.
  Result<std::unique_ptr<pqxx::connection>> open_connection();
  void give_back(std::unique_ptr<pqxx::connection> conn, bool broken);

  const std::string conninfo_;
  const size_t size_;
  const std::chrono::milliseconds statement_timeout_;
  const std::string role_;  // SET ROLE on connect when not empty
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;  // idle + leased + being opened
};

// Registers every statement the queries use on a fresh connection.
void prepare_statements(pqxx::connection& c);

}  // namespace pw::queries::detail
