#pragma once
// Byte-level encodings shared by the gateway (JWT parts, request text) and the
// queries (cursors, filters): base64url without padding (RFC 4648 §5) and a
// strict UTF-8 check.
#include <optional>
#include <string>
#include <string_view>

namespace pw {

std::string base64url_encode(std::string_view bytes);
// Strict: a length of 1 mod 4, padding, characters outside the URL alphabet and
// non-zero unused trailing bits (non-canonical encodings) are refused.
std::optional<std::string> base64url_decode(std::string_view text);

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF.
bool is_valid_utf8(std::string_view s);

}  // namespace pw
