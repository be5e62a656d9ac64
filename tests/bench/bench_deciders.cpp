// decide + apply throughput of the site aggregate: a site of 50 pages with 30
// components each, edited with a mix of commands like an editor sends them.
// No main: the bench target links benchmark_main.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "tests/support/schemas.hpp"

namespace {
using namespace pw;
using namespace pw::domain;
using nlohmann::json;

constexpr int kPages = 50;
constexpr int kSections = 5;  // each with 5 children: 30 components per page

const SiteId& site() {
  static const SiteId id = site_id_for_subdomain("bench");
  return id;
}

CommandMeta meta() {
  return CommandMeta{
      CommandId{"cmd"}, TenantId{"tenant"}, UserId{"user"}, site(), "2024-05-01T12:00:00.000000Z",
      std::nullopt};
}

PageId page(int i) { return make_page_id(site(), "p" + std::to_string(i)); }
std::string cid(int section, int child) {
  return "s" + std::to_string(section) + "c" + std::to_string(child);
}

void must(SiteState& s, const Command& c, std::vector<DomainEvent>* log = nullptr) {
  auto r = decide(*pw::test::test_schemas(), s, meta(), c);
  if (!r) throw std::runtime_error("setup command rejected: " + r.error().message);
  for (auto& e : *r) {
    apply(s, e);
    if (log) log->push_back(std::move(e));
  }
}

AddComponent add(const PageId& p, std::string id, std::string type, json props,
                 std::optional<std::string> parent = std::nullopt) {
  AddComponent a;
  a.pageId = p;
  a.componentId = ComponentId{std::move(id)};
  a.type = std::move(type);
  a.props = std::move(props);
  if (parent) a.parentId = ComponentId{*parent};
  return a;
}

// The site and the events that built it.
const std::pair<SiteState, std::vector<DomainEvent>>& fixture() {
  static const auto built = [] {
    SiteState s;
    std::vector<DomainEvent> log;
    must(s, CreateSite{site(), "Bench", "bench"}, &log);
    for (int p = 0; p < kPages; ++p) {
      must(s, CreatePage{page(p), "Page " + std::to_string(p), std::nullopt, std::nullopt}, &log);
      for (int sec = 0; sec < kSections; ++sec) {
        std::string section = "s" + std::to_string(sec);
        must(s, add(page(p), section, "Section", {{"padding", "medium"}}), &log);
        must(s, add(page(p), cid(sec, 0), "Heading", {{"text", "Heading"}, {"level", 2}}, section),
             &log);
        must(s, add(page(p), cid(sec, 1), "Text", {{"text", "Some **markdown** text."}}, section),
             &log);
        must(s, add(page(p), cid(sec, 2), "Image", {{"src", "/img/a.png"}, {"alt", "A"}}, section),
             &log);
        must(s, add(page(p), cid(sec, 3), "Button", {{"label", "Go"}, {"href", "/go"}}, section),
             &log);
        must(s, add(page(p), cid(sec, 4), "Card", {{"title", "Card"}, {"body", "b"}}, section),
             &log);
      }
    }
    return std::make_pair(std::move(s), std::move(log));
  }();
  return built;
}

// The i-th command of the mix; every command is accepted. Rounds of 20 commands
// edit one page: 40% text edits, 15% reorders, 15% adds + 15% removes of
// spacers, 10% page title edits, 5% publishes.
Command mix(uint64_t i) {
  uint64_t round = i / 20, slot = i % 20;
  int sec = static_cast<int>(round % kSections);
  PageId pid = page(static_cast<int>((round * 7) % kPages));
  std::string n = std::to_string(i);
  if (slot < 8)
    return UpdateComponentProps{
        pid, ComponentId{cid(sec, static_cast<int>(slot % 2))}, {{"text", "Edit " + n}}};
  if (slot < 11)
    return MoveComponent{pid, ComponentId{cid(sec, 4)}, ComponentId{"s" + std::to_string(sec)},
                         std::nullopt, static_cast<int64_t>(slot - 8)};
  if (slot < 14) return add(pid, "tmp" + std::to_string(slot), "Spacer", {{"size", "small"}});
  if (slot < 17) return RemoveComponent{pid, ComponentId{"tmp" + std::to_string(slot - 3)}};
  if (slot < 19) return UpdatePageMetadata{pid, "Title " + n, std::nullopt, std::nullopt};
  return PublishPage{pid};
}

void BM_DecideApplyMix(benchmark::State& st) {
  SiteState s = fixture().first;
  CommandMeta m = meta();
  uint64_t i = 0, rejected = 0, events = 0;
  for (auto _ : st) {
    Command c = mix(i++);
    auto r = decide(*pw::test::test_schemas(), s, m, c);
    if (!r) {
      ++rejected;  // should stay 0: the mix is built to be accepted
      continue;
    }
    for (const auto& e : *r) apply(s, e);
    events += r->size();
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["rejected"] = static_cast<double>(rejected);
  st.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_DecideApplyMix);

void BM_DecideOnly_UpdateProps(benchmark::State& st) {
  const SiteState& s = fixture().first;
  CommandMeta m = meta();
  Command c = UpdateComponentProps{page(17), ComponentId{cid(2, 0)}, {{"text", "New text"}}};
  for (auto _ : st) benchmark::DoNotOptimize(decide(*pw::test::test_schemas(), s, m, c));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_DecideOnly_UpdateProps);

void BM_DecideOnly_AddComponent(benchmark::State& st) {
  const SiteState& s = fixture().first;
  CommandMeta m = meta();
  Command c =
      add(page(17), "new", "Image", {{"src", "https://cdn.test/x.png"}, {"alt", "x"}}, "s3");
  for (auto _ : st) benchmark::DoNotOptimize(decide(*pw::test::test_schemas(), s, m, c));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_DecideOnly_AddComponent);

void BM_Apply_PropsUpdated(benchmark::State& st) {
  SiteState s = fixture().first;
  DomainEvent e =
      ComponentPropsUpdated{page(17), ComponentId{cid(2, 1)}, {{"text", "x"}}, {{"text", "x"}}};
  for (auto _ : st) apply(s, e);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Apply_PropsUpdated);

// Rebuilding the whole site from its events (replay, snapshot rebuild).
void BM_FoldSite(benchmark::State& st) {
  const auto& log = fixture().second;
  for (auto _ : st) {
    SiteState s;
    for (const auto& e : log) apply(s, e);
    benchmark::DoNotOptimize(s.version);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * log.size()));
}
BENCHMARK(BM_FoldSite)->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

// Baseline for decide + apply: what merely reading the same commands off the
// log costs (parse the JSON body, build the typed command). A decider that is
// a small multiple of this is not the bottleneck of a processor.
void BM_CommandJsonRoundTripBaseline(benchmark::State& st) {
  std::vector<std::string> bodies;
  std::vector<std::string> types;
  for (uint64_t i = 0; i < 200; ++i) {
    Command c = mix(i);
    types.emplace_back(command_type(c));
    bodies.push_back(command_to_json(c).dump());
  }
  size_t i = 0;
  for (auto _ : st) {
    const size_t k = i++ % bodies.size();
    auto parsed = command_from_json(types[k], json::parse(bodies[k]));
    benchmark::DoNotOptimize(parsed);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_CommandJsonRoundTripBaseline);

}  // namespace
