#pragma once
// A minimal scanner over the top level of one JSON object: yields each key and
// the raw text of its value without building a DOM. Used where a full parse
// would dominate the cost (hash-chain verification) and to reject duplicate
// keys, which nlohmann::json silently collapses.
#include <functional>
#include <string>
#include <string_view>

namespace pw::json_scan {

// Calls `field(key, raw_value)` for every top-level member, in order. `key` is
// the raw text between the quotes (escapes not decoded). Returns false if the
// text is not a single well-formed-looking JSON object (structure only: values
// are delimited, not validated) or if `field` returns false.
bool for_each_field(std::string_view object,
                    const std::function<bool(std::string_view key, std::string_view value)>& field);

enum class Step { next, stop, fail };
// Like for_each_field, but `field` may stop the scan early (returns true: the
// rest of the object is then not looked at) or fail it (returns false).
bool scan_fields(std::string_view object,
                 const std::function<Step(std::string_view key, std::string_view value)>& field);

// Appends `s` as a JSON string literal, escaped exactly as nlohmann::json::dump
// does (so encode/decode round trips are byte-stable).
void append_quoted(std::string& out, std::string_view s);

}  // namespace pw::json_scan
