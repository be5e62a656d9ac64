#pragma once
// Prometheus metrics of a Pagewright process (DESIGN.md decision 12), served as
// the text exposition format at `GET /metrics` on the process's metrics
// listener (`--metrics HOST:PORT`, ops/cli/observability.hpp), not the API port.
//
// Families (all names and help texts fixed here):
//   http_requests_total{route,status}            counter
//   http_request_duration_seconds{route}         histogram, 0.5 ms … 10 s
//   commands_total{type,outcome}                 counter
//   command_duration_seconds{type}               histogram, 0.5 ms … 10 s
//   events_appended_total                        counter
//   projection_lag_events{partition}             gauge
//   projection_batch_seconds                     histogram, 1 ms … 30 s
//   deployments_total{outcome}                   counter (succeeded | failed)
//   deployment_build_seconds                     histogram, 1 ms … 30 s
//   dead_letters_total{pool}                     counter (projections | builds)
//   rate_limited_total{scope}                    counter (tenant | address)
//   dead_letter_retries_total{outcome}           counter (applied | already | pending | failed)
//   foreign_records_total{topic}                 counter (events | results)
//
// Label cardinality is bounded by design: NO user input ever becomes a label
// value. `route` is a route's fixed name (gateway/route_table.cpp) (or "unmatched" for 404/405s that
// matched no route — never the request path); `status` is the numeric HTTP
// status, 100…599, anything else is "invalid"; `type` is one of the known
// command type names (anything else becomes "other", so a client-supplied type
// string cannot mint series); `outcome` is a CommandOutcome; `partition` is a
// non-negative partition index below kMaxPartitions (others are ignored).
//
// Thread-safe: prometheus-cpp metrics are atomic/locked, and Family::Add
// (lookup-or-create of a labelled child) locks the family.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/rate_limit.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace pw::gateway {

enum class CommandOutcome {
  accepted,   // decided and its events appended
  rejected,   // validation or domain rule refused it (4xx)
  conflict,   // optimistic-concurrency conflict (412/409)
  failed,     // infrastructure error (5xx)
};

// "accepted", "rejected", "conflict", "failed".
const char* command_outcome_name(CommandOutcome outcome);

class Metrics {
 public:
  // Partition indexes at or above this are not recorded (bounds cardinality).
  static constexpr int kMaxPartitions = 1024;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished HTTP request. `route` is the route's name, nullopt when the
  // target matched no route (404/405); it is then labelled "unmatched".
  void observe_http(std::optional<std::string_view> route, int status, double seconds);
  // One handled command: `type` is a command type name ("CreatePage"); names not
  // in the fixed list are labelled "other".
  void count_command(std::string_view type, CommandOutcome outcome, double seconds);
  void add_events_appended(std::uint64_t n);
  void set_projection_lag(int partition, std::int64_t lag);
  void observe_projection_batch(double seconds);
  // One build of the build pool, from start to its report.
  void observe_deployment(bool succeeded, double seconds);
  // Records a pool set aside in pagewright.deadletter; `pool` is "projections"
  // or "builds" (anything else is labelled "other").
  void add_dead_letters(std::string_view pool, std::uint64_t n);
  // One request refused by a rate limit (429).
  void count_rate_limited(RateScope scope);
  // A worker of `pool` ("commands", "projections", "builds") gained (+) or
  // lost (−) partitions: the gauge is how many this process owns.
  void add_partitions_owned(std::string_view pool, std::int64_t delta);
  // One dead letter `pagewright deadletter retry` replayed: "applied",
  // "already", "pending" or "failed" (anything else is labelled "other").
  void count_dead_letter_retry(std::string_view outcome);
  // Records of pagewright.events or pagewright.results ("events", "results";
  // anything else is labelled "other") that a command processor's recovery
  // passed over because no processor wrote them. Each recovery that passes
  // over a record counts it: a partition recovered twice counts it twice.
  void add_foreign_records(std::string_view topic, std::uint64_t n);
  // A page read that waited for its position in `serve`: answered from the
  // row the projector's commit wrote (hit), or asked of Postgres (miss).
  void count_page_read_from_commit(bool hit);

  // The text exposition format (version 0.0.4) of every family in registry().
  std::string render() const;
  // The registry (e.g. to register further collectors or to Collect()).
  std::shared_ptr<prometheus::Registry> registry();

  // The label values used for a status / command type (exposed for tests).
  static std::string status_label(int status);
  static std::string_view command_type_label(std::string_view type);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_duration_;
  prometheus::Family<prometheus::Counter>* commands_;
  prometheus::Family<prometheus::Histogram>* command_duration_;
  prometheus::Counter* events_appended_;
  prometheus::Family<prometheus::Gauge>* projection_lag_;
  prometheus::Histogram* projection_batch_;
  prometheus::Family<prometheus::Counter>* deployments_;
  prometheus::Histogram* deployment_build_;
  prometheus::Family<prometheus::Counter>* dead_letters_;
  prometheus::Family<prometheus::Counter>* rate_limited_;
  prometheus::Family<prometheus::Gauge>* partitions_owned_;
  prometheus::Family<prometheus::Counter>* dead_letter_retries_;
  prometheus::Family<prometheus::Counter>* foreign_records_;
  prometheus::Family<prometheus::Counter>* page_reads_from_commit_;
};

}  // namespace pw::gateway
