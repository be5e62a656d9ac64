// Event versions (DESIGN.md, decision 10): the committed version-1 log replays
// to the state and hashes committed beside it, through the deciders' fold and
// through the command processor's recovery; stored bytes are never rewritten.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "commands/deciders.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "events/upcast.hpp"
#include "tests/upcast/processor_harness.hpp"

namespace pw::test::upcast {
namespace {

using json = nlohmann::json;
namespace d = domain;

const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);
const std::string kCommands(log::kCommandsTopic);

SiteId fixture_site() { return site_id_for_subdomain(kFixtureSubdomain); }

// The fixture was written by the processor from 22 commands (see the commands
// file): a site, two pages, components added, edited, removed and moved at the
// top level and into and out of slots (4 ComponentMoved at version 1).
constexpr int kFixtureCommands = 22;
const PageId kHome{site_id_for_subdomain(kFixtureSubdomain).str() + ".home"};

json expected() { return json::parse(read_file(kFixtures / "events_v1.expected.json")); }

// The events of the fixture, decoded as every consumer decodes them.
std::vector<std::pair<Envelope, d::DomainEvent>> decode_all(const std::vector<std::string>& values) {
  std::vector<std::pair<Envelope, d::DomainEvent>> out;
  for (const auto& v : values) {
    auto env = decode(v);
    EXPECT_TRUE(env.ok()) << env.error().message;
    if (!env.ok()) continue;
    auto e = d::event_from_json(env->type, env->schema_version, env->data);
    EXPECT_TRUE(e.ok()) << env->type << ": " << e.error().message;
    if (e.ok()) out.emplace_back(std::move(env).value(), std::move(e).value());
  }
  return out;
}

TEST(UpcastFixture, VersionOneLogFoldsToTheCommittedStateAndHashes) {
  const auto values = read_lines(kFixtures / "events_v1.ndjson");
  const json want = expected();
  ASSERT_EQ(values.size(), want["hashes"].size());
  ChainVerifier chain;
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(sha256_hex(values[i]), want["hashes"][i]) << "event " << i + 1;
    chain.add(values[i]);
  }
  const auto report = chain.finish();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.head_hash, want["headHash"]);

  d::SiteState state;
  const auto events = decode_all(values);
  ASSERT_EQ(events.size(), values.size());
  for (const auto& [env, e] : events) d::apply(state, e);
  EXPECT_EQ(d::site_state_to_json(state), want["state"]);
}

TEST(UpcastFixture, ProcessorRecoversTheVersionOneLogToTheCommittedStateAndHashes) {
  LocalLog l;
  const auto site = fixture_site().str();
  ASSERT_TRUE(load_fixture(l.log(), site).ok());
  const int64_t results = *l.log().end_offset({kResults, 0});
  const auto stats = l.run_processor("replay", results);
  EXPECT_EQ(stats.foreign_events, 0);
  EXPECT_EQ(stats.commands, 0) << "every fixture command has its result";
  const json snapshot = l.snapshot("replay", site);
  const json want = expected();
  EXPECT_EQ(snapshot["headHash"], want["headHash"]);
  EXPECT_EQ(snapshot["state"], want["state"]);

  std::vector<std::string> stored;
  for (const auto& r : read_topic(l.log(), kEvents)) stored.push_back(r.value);
  EXPECT_EQ(stored, read_lines(kFixtures / "events_v1.ndjson")) << "replaying rewrote stored bytes";
}

// The page's content as ids, each with its slots' ids in brackets.
std::string outline(const std::vector<d::Component>& content) {
  std::string out;
  for (const auto& c : content) {
    out += c.id.value;
    for (const auto& [slot, children] : c.slots)
      if (!children.empty()) out += "[" + slot + ":" + outline(children) + "]";
    out += " ";
  }
  return out;
}

std::vector<std::string> stored_events(log::EventLog& log) {
  std::vector<std::string> out;
  for (const auto& r : read_topic(log, kEvents)) out.push_back(r.value);
  return out;
}

// ops/audit-chain (Python's standard library, nothing of Pagewright's) over
// the record values: its one report line.
json audit_chain(const std::vector<std::string>& values) {
  const auto file = std::filesystem::temp_directory_path() / ("pw-upcast-chain-" + std::to_string(::getpid()));
  {
    std::ofstream out(file, std::ios::binary);
    for (const auto& v : values) out << v << '\n';
  }
  const std::string cmd = std::string(PW_SOURCE_DIR) + "/ops/audit-chain < " + file.string();
  std::string output;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) output.append(buf, n);
    ::pclose(p);
  }
  std::filesystem::remove(file);
  return json::parse(output, nullptr, false);
}

// A log holding the fixture's version-1 records and, after them, version-2
// ones the processor writes now: one chain, one fold, old bytes untouched.
TEST(UpcastFixture, MixedVersionLogVerifiesFoldsAndKeepsItsBytes) {
  LocalLog l;
  const auto site = fixture_site().str();
  ASSERT_TRUE(load_fixture(l.log(), site).ok());
  const json want = expected();
  // Fixture content of home: hero sec[children:t] h. Moves the processor decides
  // on the state it recovered from version-1 events.
  std::vector<d::CommandRecord> moves;
  int n = kFixtureCommands;
  moves.push_back(command_record(++n, kFixtureSubdomain,
                                 d::MoveComponent{kHome, ComponentId{"t"}, std::nullopt, std::nullopt, 0}));
  moves.push_back(command_record(++n, kFixtureSubdomain,
                                 d::MoveComponent{kHome, ComponentId{"h"}, ComponentId{"sec"}, std::string("children"), 0}));
  ASSERT_TRUE(submit_commands(l.log(), moves).ok());
  const auto stats = l.run_processor("mixed", kFixtureCommands + 2);
  EXPECT_EQ(stats.accepted, 2);
  EXPECT_EQ(stats.foreign_events, 0);

  const auto values = stored_events(l.log());
  const auto fixture = read_lines(kFixtures / "events_v1.ndjson");
  ASSERT_EQ(values.size(), fixture.size() + 2);
  EXPECT_TRUE(std::equal(fixture.begin(), fixture.end(), values.begin())) << "stored version-1 bytes changed";

  // The new events: version 2, chained onto the fixture's head, from and to.
  auto first = decode(values[fixture.size()]);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->type, "ComponentMoved");
  EXPECT_EQ(first->schema_version, 2);
  EXPECT_EQ(first->seq, static_cast<int64_t>(fixture.size()) + 1);
  EXPECT_EQ(first->prev_hash, want["headHash"]);
  EXPECT_EQ(first->data, (json{{"pageId", kHome.value},
                               {"componentId", "t"},
                               {"from", {{"parentId", "sec"}, {"slot", "children"}, {"index", 0}}},
                               {"to", {{"index", 0}}}}));
  auto second = decode(values.back());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->data["from"], (json{{"index", 3}}));
  EXPECT_EQ(second->data["to"], (json{{"parentId", "sec"}, {"slot", "children"}, {"index", 0}}));

  // One chain over both versions, by our verifier and by the auditor's tool.
  ChainVerifier chain;
  for (const auto& v : values) chain.add(v);
  const auto report = chain.finish();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, static_cast<int64_t>(values.size()));
  EXPECT_EQ(report.head_hash, sha256_hex(values.back()));
  const json audited = audit_chain(values);
  EXPECT_EQ(audited.value("ok", false), true) << audited.dump();
  EXPECT_EQ(audited.value("headHash", ""), report.head_hash);

  // Folding both versions gives what the processor holds, and a processor that
  // recovers the mixed log from scratch holds the same.
  d::SiteState state;
  for (const auto& [env, e] : decode_all(values)) d::apply(state, e);
  const json held = l.snapshot("mixed", site);
  EXPECT_EQ(d::site_state_to_json(state), held["state"]);
  EXPECT_EQ(outline(state.pages.at(kHome).content), "t hero sec[children:h ] ");
  const auto again = l.run_processor("again", kFixtureCommands + 2);
  EXPECT_EQ(again.foreign_events, 0);
  const json recovered = l.snapshot("again", site);
  EXPECT_EQ(recovered["state"], held["state"]);
  EXPECT_EQ(recovered["headHash"], report.head_hash);
  EXPECT_EQ(stored_events(l.log()), values) << "replaying rewrote stored bytes";
}

// A version newer than this code knows is refused, never read as the newest
// it knows: recovery counts it as no link of the site's chain and folds on.
TEST(UpcastFixture, RecoverySkipsAndCountsAnEventOfAnUnknownVersion) {
  LocalLog l;
  const auto site = fixture_site().str();
  ASSERT_TRUE(load_fixture(l.log(), site).ok());
  const json want = expected();
  EXPECT_EQ(l.run_processor("first", kFixtureCommands).foreign_events, 0);

  // The next link of the chain, its data valid version-2 data, at version 3.
  auto last = decode(read_lines(kFixtures / "events_v1.ndjson").back());
  ASSERT_TRUE(last.ok());
  Envelope future = *last;
  future.id = "00000000-0000-4000-8000-000000000003";
  future.type = "ComponentMoved";
  future.schema_version = 3;
  future.aggregate = {"page", kHome.value, 15};
  future.seq = last->seq + 1;
  future.prev_hash = want["headHash"];
  future.data = json{{"pageId", kHome.value}, {"componentId", "hero"}, {"to", {{"index", 2}}}};
  log::Batch b;
  b.records.push_back({kEvents, site, encode(future), 0});
  ASSERT_TRUE(l.log().append(b).ok());

  // A processor that recovered before it was there decides a move on the
  // fixture's state; one that recovers everything skips the version-3 record.
  ASSERT_TRUE(submit_commands(l.log(), {command_record(kFixtureCommands + 1, kFixtureSubdomain,
                                                       d::MoveComponent{kHome, ComponentId{"t"}, std::nullopt,
                                                                        std::nullopt, 0})})
                  .ok());
  EXPECT_EQ(l.run_processor("first", kFixtureCommands + 1).accepted, 1);
  const auto stats = l.run_processor("fresh", kFixtureCommands + 1);
  EXPECT_EQ(stats.foreign_events, 1);
  const json recovered = l.snapshot("fresh", site);
  EXPECT_EQ(recovered, l.snapshot("first", site));
  auto state = d::site_state_from_json(recovered["state"]);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(outline(state->pages.at(kHome).content), "t hero sec h ") << "the version-3 move was applied";
}

}  // namespace
}  // namespace pw::test::upcast
