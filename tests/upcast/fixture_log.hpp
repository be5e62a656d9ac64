#pragma once
// The committed version-1 log (tests/upcast/fixtures): a site's commands,
// results and events exactly as the command processor wrote them before
// ComponentMoved had a version 2, and helpers that put those records back into
// a fresh log (same offsets: one partition per topic).
//
// fixtures/events_v1.ndjson holds the event record values, one per line, the
// exact bytes the hash chain covers (`sed -n 3p | tr -d '\n' | sha256sum` is
// the third event's hash); events are keyed by their site id. The commands and
// results are "<key>\t<value>" lines (compact JSON holds no raw tab).
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "events/log.hpp"

namespace pw::test::upcast {

inline const std::filesystem::path kFixtures = PW_UPCAST_FIXTURES;
inline const std::string kFixtureSubdomain = "fixture-v1";

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<std::pair<std::string, std::string>> read_keyed(const std::filesystem::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& line : read_lines(file)) {
    const auto tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), tab == std::string::npos ? std::string() : line.substr(tab + 1));
  }
  return out;
}

// Every record of a topic's partition 0, in offset order.
inline std::vector<log::Record> read_topic(log::EventLog& log, std::string_view topic) {
  using namespace std::chrono_literals;
  std::vector<log::Record> out;
  const int64_t end = *log.end_offset({std::string(topic), 0});
  auto reader = log.reader({std::string(topic), 0}, 0);
  if (!reader.ok()) return out;
  while (static_cast<int64_t>(out.size()) < end) {
    auto got = (*reader)->read(100ms, 1000);
    if (!got.ok() || got->empty()) break;
    for (auto& r : *got) out.push_back(std::move(r));
  }
  return out;
}

// Appends the fixture's records to a log whose topics have one partition and
// nothing in them yet, so every record lands at the offset it had.
inline Result<void> load_fixture(log::EventLog& log, const std::string& site_id) {
  log::Batch b;
  for (const auto& [key, value] : read_keyed(kFixtures / "events_v1.commands.tsv"))
    b.records.push_back({std::string(log::kCommandsTopic), key, value, 0});
  for (const auto& [key, value] : read_keyed(kFixtures / "events_v1.results.tsv"))
    b.records.push_back({std::string(log::kResultsTopic), key, value, 0});
  for (const auto& value : read_lines(kFixtures / "events_v1.ndjson"))
    b.records.push_back({std::string(log::kEventsTopic), site_id, value, 0});
  auto r = log.append(b);
  if (!r.ok()) return r.error();
  return {};
}

}  // namespace pw::test::upcast
