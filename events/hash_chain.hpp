#pragma once
// SHA-256 hash chain over a site's event records (DESIGN.md, decision 8).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(std::string_view bytes);
std::string to_hex(const Sha256& digest);
std::string sha256_hex(std::string_view bytes);

struct ChainReport {
  int64_t events = 0;
  std::string head_hash;  // hash of the last record seen
  bool ok = true;
  std::optional<int64_t> first_bad_seq;
  friend bool operator==(const ChainReport&, const ChainReport&) = default;
};

// Verifies one site's records in stream order without decoding them fully: only
// the top-level "seq" and "prevHash" are read, the rest is hashed as bytes.
//
// Which record is bad: a record whose bytes changed breaks the link to its
// successor only; a record whose prevHash was forged breaks the link to its
// predecessor and (its bytes having changed) the one to its successor too. So at
// the first broken link a→a+1 the verifier looks one record further: if a+1→a+2
// also breaks, a+1 is bad, otherwise a is. At the end of the stream it cannot
// tell and reports a, the earliest record that may have been altered. A missing
// or out-of-order seq is bad at the seq that was expected.
class ChainVerifier {
 public:
  explicit ChainVerifier(int64_t first_seq = 1, std::string prev_hash = std::string(64, '0'));
  void add(std::string_view record_value);
  ChainReport finish();

 private:
  void fail(int64_t seq);

  int64_t expected_seq_;
  Sha256 prev_{};
  int64_t events_ = 0;
  std::optional<int64_t> first_bad_;
  // A broken link a→a+1 waiting for the next record to decide between a and a+1.
  std::optional<int64_t> pending_break_;
};

// Top-level "seq" and "prevHash" of an envelope, read without a full parse.
struct ChainFields {
  int64_t seq = 0;
  Sha256 prev_hash{};
};
std::optional<ChainFields> scan_chain_fields(std::string_view record_value);

}  // namespace pw
