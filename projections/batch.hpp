#pragma once
// One projector transaction's fold of events into the read-model rows
// (sites, pages, page_events and the deployments, templates and assets
// models). The projector decodes each record, hands it to project(), and
// calls write() once the batch is folded; the transaction and the stored
// offsets stay the projector's.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/log.hpp"

namespace pw::projections {

// A record that can never apply (bad data, a seq gap, an event of an unknown
// site): aborts the batch, and the projector sets the record aside.
struct RecordError : std::runtime_error {
  explicit RecordError(const std::string& m) : std::runtime_error(m) {}
};

// "topic[partition]@offset", how log lines and errors name a record.
std::string record_position(const log::Record& r);

// The prepared statements project() and write() run.
void prepare_batch_statements(pqxx::connection& c);

class ReadModelBatch {
 public:
  explicit ReadModelBatch(pqxx::work& txn);
  ~ReadModelBatch();
  ReadModelBatch(const ReadModelBatch&) = delete;
  ReadModelBatch& operator=(const ReadModelBatch&) = delete;

  // Folds one decoded event into the batch. False when its site already has
  // it (seq at or below the site's version); throws RecordError when it can
  // never apply.
  bool project(const log::Record& rec, const Envelope& env, const domain::DomainEvent& event);
  // Writes every row the batch changed that project() has not written yet.
  void write();

  struct State;  // the folded rows (batch.cpp)

 private:
  std::unique_ptr<State> s_;
};

}  // namespace pw::projections
