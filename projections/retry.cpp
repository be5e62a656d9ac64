#include "projections/retry.hpp"

#include <pqxx/pqxx>

#include "projections/batch.hpp"
#include "projections/pg.hpp"

namespace pw::projections {
namespace {

RetryOutcome::Kind kind_of(const std::string& outcome) {
  if (outcome == "applied") return RetryOutcome::Kind::applied;
  if (outcome == "already") return RetryOutcome::Kind::already;
  return RetryOutcome::Kind::failed;
}

RetryOutcome outcome_of(const pqxx::row& row) {  // outcome, reason, attempts, at
  RetryOutcome o;
  o.kind = kind_of(row[0].as<std::string>());
  o.reason = row[1].as<std::string>();
  o.attempts = row[2].as<int>();
  o.at = row[3].as<std::string>();
  return o;
}

}  // namespace

const char* outcome_name(RetryOutcome::Kind kind) {
  switch (kind) {
    case RetryOutcome::Kind::applied: return "applied";
    case RetryOutcome::Kind::already: return "already";
    case RetryOutcome::Kind::failed: return "failed";
    case RetryOutcome::Kind::pending: return "pending";
  }
  return "failed";
}

struct DeadLetterRetrier::Db {
  explicit Db(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

DeadLetterRetrier::DeadLetterRetrier(std::unique_ptr<Db> db, std::string projector)
    : db_(std::move(db)), projector_(std::move(projector)) {}

DeadLetterRetrier::~DeadLetterRetrier() = default;

Result<std::unique_ptr<DeadLetterRetrier>> DeadLetterRetrier::connect(const std::string& conninfo,
                                                                      std::string projector) {
  try {
    auto db = std::make_unique<Db>(conninfo);
    auto& c = db->conn;
    prepare_batch_statements(c);
    c.prepare("pw_retry_offset_lock",
              "SELECT next_offset FROM projection_offsets "
              "WHERE projector = $1 AND topic = $2 AND partition = $3 FOR UPDATE");
    c.prepare("pw_retry_get",
              "SELECT outcome, reason, attempts, "
              "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
              "FROM dead_letter_retries WHERE dl_partition = $1 AND dl_offset = $2 FOR UPDATE");
    c.prepare("pw_retry_put",
              "INSERT INTO dead_letter_retries "
              "(dl_partition, dl_offset, topic, log_partition, log_offset, outcome, reason) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7) "
              "ON CONFLICT (dl_partition, dl_offset) DO UPDATE SET outcome = EXCLUDED.outcome, "
              "reason = EXCLUDED.reason, attempts = dead_letter_retries.attempts + 1, at = now() "
              "RETURNING outcome, reason, attempts, "
              "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    c.prepare("pw_retry_all",
              "SELECT dl_partition, dl_offset, outcome, reason, attempts, "
              "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM dead_letter_retries");
    return std::unique_ptr<DeadLetterRetrier>(new DeadLetterRetrier(std::move(db), std::move(projector)));
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  }
}

Result<RetryOutcome> DeadLetterRetrier::retry(const log::DeadLetter& d, DeadLetterPosition at) {
  if (d.value_omitted) return make_error(Errc::validation_error, "the dead letter holds no value to replay");
  const log::Record rec{d.topic, d.partition, d.offset, d.key, d.value};
  std::string failure;
  try {
    pqxx::work txn(db_->conn);
    hold_off_switch(txn);  // wholly before or wholly after a `rebuild --shadow` switch
    // Serialises with every projector batch of the partition (they lock this row too).
    auto stored = txn.exec_prepared("pw_retry_offset_lock", projector_, d.topic, d.partition);
    if (stored.empty() || stored[0][0].as<int64_t>() <= d.offset) {
      RetryOutcome pending;
      pending.kind = RetryOutcome::Kind::pending;
      pending.reason = "the projection has not passed " + record_position(rec) + " yet";
      return pending;
    }
    if (auto before = txn.exec_prepared("pw_retry_get", at.first, at.second); !before.empty()) {
      auto earlier = outcome_of(before[0]);
      if (earlier.kind != RetryOutcome::Kind::failed) {
        earlier.earlier = true;
        return earlier;  // applied once: never again
      }
    }
    auto decoded = decode_record(rec);
    if (!decoded.ok()) {
      failure = "projector: " + decoded.error().message;
    } else {
      ReadModelBatch batch(txn);
      batch.load({*decoded});
      const bool applied = batch.project(*decoded);
      batch.write();
      auto row = txn.exec_prepared1("pw_retry_put", at.first, at.second, d.topic, d.partition, d.offset,
                                    applied ? "applied" : "already", "");
      auto outcome = outcome_of(row);
      txn.commit();
      return outcome;
    }
  } catch (const pqxx::broken_connection& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    return make_error(Errc::unavailable, std::string("postgres: commit in doubt: ") + e.what());
  } catch (const std::exception& e) {
    // The record's own failure, as the projector words it; the rows rolled back.
    failure = std::string("projector: ") + e.what();
  }
  return record_failure(d, at, failure);
}

Result<RetryOutcome> DeadLetterRetrier::record_failure(const log::DeadLetter& d, DeadLetterPosition at,
                                                       const std::string& reason) {
  // Cut like a dead letter's reason: one line, bounded.
  const std::string tidy = log::dead_letter_for(log::Record{d.topic, d.partition, d.offset, {}, {}}, {}, {}, reason).reason;
  try {
    pqxx::work txn(db_->conn);
    hold_off_switch(txn);  // the switch carries this table over
    auto row = txn.exec_prepared1("pw_retry_put", at.first, at.second, d.topic, d.partition, d.offset, "failed", tidy);
    auto outcome = outcome_of(row);
    txn.commit();
    return outcome;
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("postgres: recording the retry: ") + e.what());
  }
}

Result<std::map<DeadLetterPosition, RetryOutcome>> DeadLetterRetrier::outcomes() {
  try {
    pqxx::read_transaction txn(db_->conn);
    std::map<DeadLetterPosition, RetryOutcome> out;
    for (const auto& row : txn.exec_prepared("pw_retry_all")) {
      RetryOutcome o;
      o.kind = kind_of(row[2].as<std::string>());
      o.reason = row[3].as<std::string>();
      o.attempts = row[4].as<int>();
      o.at = row[5].as<std::string>();
      out[{row[0].as<int32_t>(), row[1].as<int64_t>()}] = std::move(o);
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  }
}

}  // namespace pw::projections
