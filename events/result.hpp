#pragma once
// Expected failures as values. Error codes mirror the API's error codes so a
// rejection can travel from a decider to an HTTP response unchanged.
#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pw {

enum class Errc {
  validation_error,  // 400
  unauthenticated,   // 401
  forbidden,         // 403
  not_found,         // 404
  version_conflict,  // 409
  slug_taken,        // 409
  duplicate,         // 409
  unprocessable,     // 422
  payload_too_large, // 413
  rate_limited,      // 429
  unavailable,       // 503
  internal,          // 500
  fenced,            // a stale group member tried to commit (never reaches clients)
  unsupported_media_type,  // 415
  precondition_required,  // 428: a write that must name the version it edits (If-Match)
};

const char* errc_code(Errc e);  // "VALIDATION_ERROR", ...
int errc_http_status(Errc e);
std::optional<Errc> errc_from_code(std::string_view code);

struct ErrorDetail {
  std::string field;
  std::string message;
  friend bool operator==(const ErrorDetail&, const ErrorDetail&) = default;
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::vector<ErrorDetail> details;
  friend bool operator==(const Error&, const Error&) = default;
};

inline Error make_error(Errc code, std::string message, std::vector<ErrorDetail> details = {}) {
  return Error{code, std::move(message), std::move(details)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace pw
