#include "events/hash_chain.hpp"

#include <openssl/sha.h>

#include <charconv>

#include "events/json_scan.hpp"

namespace pw {

Sha256 sha256(std::string_view bytes) {
  Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
}

std::string to_hex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }

namespace {

bool parse_hex64(std::string_view s, Sha256& out) {
  if (s.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    int v = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = s[2 * i + k];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else return false;
      v = v * 16 + d;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return true;
}

}  // namespace

std::optional<ChainFields> scan_chain_fields(std::string_view record_value) {
  // Stops once both fields are read: the hash covers every byte, so whatever
  // follows cannot be altered without breaking the next link anyway.
  ChainFields f;
  bool have_seq = false, have_prev = false;
  const bool shaped = json_scan::scan_fields(record_value, [&](std::string_view key, std::string_view value) {
    using json_scan::Step;
    if (key == "seq") {
      if (have_seq) return Step::fail;
      have_seq = true;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), f.seq);
      if (ec != std::errc{} || p != value.data() + value.size()) return Step::fail;
    } else if (key == "prevHash") {
      if (have_prev) return Step::fail;
      have_prev = true;
      if (value.size() != 66 || !parse_hex64(value.substr(1, 64), f.prev_hash)) return Step::fail;
    }
    return have_seq && have_prev ? Step::stop : Step::next;
  });
  if (!shaped || !have_seq || !have_prev) return std::nullopt;
  return f;
}

ChainVerifier::ChainVerifier(int64_t first_seq, std::string prev_hash) : expected_seq_(first_seq) {
  if (!parse_hex64(prev_hash, prev_)) first_bad_ = first_seq;
}

void ChainVerifier::fail(int64_t seq) {
  if (!first_bad_) first_bad_ = seq;
  pending_break_.reset();
}

void ChainVerifier::add(std::string_view record_value) {
  ++events_;
  const Sha256 hash = sha256(record_value);
  if (!first_bad_) {
    const int64_t seq = expected_seq_;
    const auto fields = scan_chain_fields(record_value);
    if (!fields || fields->seq != seq) {
      fail(pending_break_ ? *pending_break_ : seq);
    } else {
      const bool linked = fields->prev_hash == prev_;
      if (pending_break_) {
        // Link (seq-2 → seq-1) broke; decide which end of it was altered.
        fail(linked ? *pending_break_ : seq - 1);
      } else if (!linked) {
        if (events_ == 1) fail(seq);  // nothing before it to blame
        else pending_break_ = seq - 1;
      }
    }
  }
  ++expected_seq_;
  prev_ = hash;
}

ChainReport ChainVerifier::finish() {
  if (pending_break_) fail(*pending_break_);
  ChainReport r;
  r.events = events_;
  r.head_hash = to_hex(prev_);
  r.ok = !first_bad_.has_value();
  r.first_bad_seq = first_bad_;
  return r;
}

}  // namespace pw
