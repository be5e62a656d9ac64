#pragma once
// One projector transaction's fold of events into the read-model rows
// (sites, pages, page_events and the deployments, templates and assets
// models). The projector decodes the batch's records, has load() read the
// stored rows they touch, hands each to project() and calls write() once the
// batch is folded; the transaction and the stored offsets stay the projector's.
//
// The hot rows are written once per batch, not once per event: every
// page_events row, every touched page (its state after the batch) and every
// touched site go in one multi-row statement per tenant (row-level security
// checks one tenant per statement). The rare rest (a new site, deployments,
// templates, assets) is written as its event is folded.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/log.hpp"
#include "events/recent_pages.hpp"
#include "events/result.hpp"

namespace pw::projections {

// A record that can never apply (bad data, a seq gap, an event of an unknown
// site): aborts the batch, and the projector sets the record aside.
struct RecordError : std::runtime_error {
  explicit RecordError(const std::string& m) : std::runtime_error(m) {}
};

// A record of the batch and the event it holds.
struct DecodedEvent {
  const log::Record* rec;
  Envelope env;
  domain::DomainEvent event;
};

// The record's envelope and event, or why it is malformed (the wrong topic,
// bytes that are no envelope, an unknown type, data that does not fit it):
// Errc::unprocessable.
Result<DecodedEvent> decode_record(const log::Record& rec);

// "topic[partition]@offset", how log lines and errors name a record.
std::string record_position(const log::Record& r);

// The prepared statements project() and write() run.
void prepare_batch_statements(pqxx::connection& c);

class ReadModelBatch {
 public:
  // return_pages: write() keeps each page row it wrote, as Postgres renders
  // it, for take_written_pages().
  explicit ReadModelBatch(pqxx::work& txn, bool return_pages = false);
  ~ReadModelBatch();
  ReadModelBatch(const ReadModelBatch&) = delete;
  ReadModelBatch& operator=(const ReadModelBatch&) = delete;

  // Reads the stored rows of every site and page the events name, a query
  // per table and tenant.
  void load(const std::vector<DecodedEvent>& events);
  // Folds one event into the batch. False when its site already has it (seq
  // at or below the site's version); throws RecordError when it can never
  // apply.
  bool project(const DecodedEvent& event);
  // Writes every row the batch changed that project() has not written yet.
  void write();
  // The page rows write() wrote (return_pages), for log::RecentPages once the
  // transaction has committed.
  std::vector<log::PageRowText> take_written_pages();

  struct State;  // the folded rows (batch.cpp)

 private:
  std::unique_ptr<State> s_;
};

}  // namespace pw::projections
