#include "gateway/metrics.hpp"

#include <array>
#include <utility>
#include <variant>
#include <vector>
#include <cmath>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "commands/commands.hpp"

namespace pw::gateway {
namespace {

// 0.5 ms … 10 s.
const prometheus::Histogram::BucketBoundaries& request_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

// 1 ms … 30 s.
const prometheus::Histogram::BucketBoundaries& batch_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return b;
}

// Every command type (commands/commands.hpp), taken from the Command variant
// so a new command is labelled by its name without a list to keep in step.
template <std::size_t... I>
std::vector<std::string_view> command_types(std::index_sequence<I...>) {
  return {domain::command_type(domain::Command(std::in_place_index<I>))...};
}

const std::vector<std::string_view>& known_command_types() {
  static const auto types = command_types(std::make_index_sequence<std::variant_size_v<domain::Command>>{});
  return types;
}

// Negative, NaN or infinite durations are clock trouble, not data: record 0.
double sane_seconds(double s) { return std::isfinite(s) && s > 0 ? s : 0.0; }

}  // namespace

const char* command_outcome_name(CommandOutcome outcome) {
  switch (outcome) {
    case CommandOutcome::accepted: return "accepted";
    case CommandOutcome::rejected: return "rejected";
    case CommandOutcome::conflict: return "conflict";
    case CommandOutcome::failed: return "failed";
  }
  return "failed";
}

std::string Metrics::status_label(int status) {
  if (status < 100 || status > 599) return "invalid";
  return std::to_string(status);
}

std::string_view Metrics::command_type_label(std::string_view type) {
  for (std::string_view known : known_command_types()) {
    if (known == type) return known;
  }
  return "other";
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  http_requests_ = &prometheus::BuildCounter()
                        .Name("http_requests_total")
                        .Help("HTTP requests handled, by route and response status.")
                        .Register(*registry_);
  http_duration_ = &prometheus::BuildHistogram()
                        .Name("http_request_duration_seconds")
                        .Help("Time from request read to response written, by route.")
                        .Register(*registry_);
  commands_ = &prometheus::BuildCounter()
                   .Name("commands_total")
                   .Help("Commands handled, by command type and outcome.")
                   .Register(*registry_);
  command_duration_ = &prometheus::BuildHistogram()
                           .Name("command_duration_seconds")
                           .Help("Time to decide a command and append its events, by type.")
                           .Register(*registry_);
  events_appended_ = &prometheus::BuildCounter()
                          .Name("events_appended_total")
                          .Help("Events appended to the event log.")
                          .Register(*registry_)
                          .Add({});
  projection_lag_ = &prometheus::BuildGauge()
                         .Name("projection_lag_events")
                         .Help("Events in the log not yet applied by the projector, by partition.")
                         .Register(*registry_);
  projection_batch_ = &prometheus::BuildHistogram()
                           .Name("projection_batch_seconds")
                           .Help("Time to apply one batch of events to the read models.")
                           .Register(*registry_)
                           .Add({}, batch_buckets());
  deployments_ = &prometheus::BuildCounter()
                      .Name("deployments_total")
                      .Help("Deployments the build pool finished, by outcome.")
                      .Register(*registry_);
  deployment_build_ = &prometheus::BuildHistogram()
                           .Name("deployment_build_seconds")
                           .Help("Time from a build's start to its report (render, ship, check, switch).")
                           .Register(*registry_)
                           .Add({}, batch_buckets());
  dead_letters_ = &prometheus::BuildCounter()
                       .Name("dead_letters_total")
                       .Help("Records a pool could not apply and set aside in pagewright.deadletter, by pool.")
                       .Register(*registry_);
  // Present from the start, so a scrape tells "none yet" from "not reported".
  for (const char* pool : {"projections", "builds"}) dead_letters_->Add({{"pool", pool}});
  rate_limited_ = &prometheus::BuildCounter()
                       .Name("rate_limited_total")
                       .Help("Requests refused by a rate limit (429), by the bucket's scope.")
                       .Register(*registry_);
  // Both series exist from the start, so a rate over them is defined at 0.
  for (RateScope scope : {RateScope::tenant, RateScope::address})
    rate_limited_->Add({{"scope", rate_scope_name(scope)}});
  partitions_owned_ = &prometheus::BuildGauge()
                           .Name("partitions_owned")
                           .Help("Partitions the workers of this process own, by pool (rebalances move them).")
                           .Register(*registry_);
  dead_letter_retries_ = &prometheus::BuildCounter()
                              .Name("dead_letter_retries_total")
                              .Help("Dead letters an operator's retry replayed, by outcome.")
                              .Register(*registry_);
  for (const char* outcome : {"applied", "already", "pending", "failed"})
    dead_letter_retries_->Add({{"outcome", outcome}});
  foreign_records_ = &prometheus::BuildCounter()
                          .Name("foreign_records_total")
                          .Help("Records a command processor's recovery passed over because no processor "
                                "wrote them, by topic (each recovery that passes one counts it).")
                          .Register(*registry_);
  for (const char* topic : {"events", "results"}) foreign_records_->Add({{"topic", topic}});
  page_reads_from_commit_ = &prometheus::BuildCounter()
                                 .Name("page_reads_from_commit_total")
                                 .Help("Page reads that waited for their position in serve, by outcome: hit "
                                       "(answered from the row the projector just committed) or miss (read from "
                                       "PostgreSQL).")
                                 .Register(*registry_);
  for (const char* outcome : {"hit", "miss"}) page_reads_from_commit_->Add({{"outcome", outcome}});
}

Metrics::~Metrics() = default;

void Metrics::observe_http(std::optional<std::string_view> route, int status, double seconds) {
  const std::string r(route.value_or("unmatched"));
  http_requests_->Add({{"route", r}, {"status", status_label(status)}}).Increment();
  http_duration_->Add({{"route", r}}, request_buckets()).Observe(sane_seconds(seconds));
}

void Metrics::count_command(std::string_view type, CommandOutcome outcome, double seconds) {
  const std::string t(command_type_label(type));
  commands_->Add({{"type", t}, {"outcome", command_outcome_name(outcome)}}).Increment();
  command_duration_->Add({{"type", t}}, request_buckets()).Observe(sane_seconds(seconds));
}

void Metrics::add_events_appended(std::uint64_t n) {
  if (n > 0) events_appended_->Increment(static_cast<double>(n));
}

void Metrics::set_projection_lag(int partition, std::int64_t lag) {
  if (partition < 0 || partition >= kMaxPartitions) return;
  projection_lag_->Add({{"partition", std::to_string(partition)}})
      .Set(static_cast<double>(lag < 0 ? 0 : lag));
}

void Metrics::observe_projection_batch(double seconds) {
  projection_batch_->Observe(sane_seconds(seconds));
}

void Metrics::observe_deployment(bool succeeded, double seconds) {
  deployments_->Add({{"outcome", succeeded ? "succeeded" : "failed"}}).Increment();
  deployment_build_->Observe(sane_seconds(seconds));
}

void Metrics::add_dead_letters(std::string_view pool, std::uint64_t n) {
  if (n == 0) return;
  const char* label = pool == "projections" ? "projections" : pool == "builds" ? "builds" : "other";
  dead_letters_->Add({{"pool", label}}).Increment(static_cast<double>(n));
}

void Metrics::add_partitions_owned(std::string_view pool, std::int64_t delta) {
  if (delta == 0) return;
  const char* label = pool == "commands"      ? "commands"
                      : pool == "projections" ? "projections"
                      : pool == "builds"      ? "builds"
                                              : "other";
  partitions_owned_->Add({{"pool", label}}).Increment(static_cast<double>(delta));
}

void Metrics::count_rate_limited(RateScope scope) {
  rate_limited_->Add({{"scope", rate_scope_name(scope)}}).Increment();
}

void Metrics::count_dead_letter_retry(std::string_view outcome) {
  const char* label = "other";
  for (const char* known : {"applied", "already", "pending", "failed"})
    if (outcome == known) label = known;
  dead_letter_retries_->Add({{"outcome", label}}).Increment();
}

void Metrics::add_foreign_records(std::string_view topic, std::uint64_t n) {
  if (n == 0) return;
  const char* label = topic == "events" ? "events" : topic == "results" ? "results" : "other";
  foreign_records_->Add({{"topic", label}}).Increment(static_cast<double>(n));
}

void Metrics::count_page_read_from_commit(bool hit) {
  page_reads_from_commit_->Add({{"outcome", hit ? "hit" : "miss"}}).Increment();
}

std::string Metrics::render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::shared_ptr<prometheus::Registry> Metrics::registry() { return registry_; }

}  // namespace pw::gateway
