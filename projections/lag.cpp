#include "projections/lag.hpp"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

namespace pw::projections {

struct LagProbe::Db {
  explicit Db(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

LagProbe::LagProbe(std::string conninfo, std::string projector)
    : conninfo_(std::move(conninfo)), projector_(std::move(projector)) {}

LagProbe::~LagProbe() = default;

Result<std::unique_ptr<LagProbe>> LagProbe::connect(std::string conninfo, std::string projector) {
  std::unique_ptr<LagProbe> probe(new LagProbe(std::move(conninfo), std::move(projector)));
  try {
    probe->db_ = std::make_unique<Db>(probe->conninfo_);
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("lag probe: ") + e.what());
  }
  return probe;
}

Result<std::vector<PartitionLag>> LagProbe::measure(log::EventLog& log) {
  const std::string topic(log::kEventsTopic);
  auto partitions = log.partition_count(topic);
  if (!partitions.ok()) return partitions.error();
  std::map<int32_t, int64_t> stored;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!db_ || !db_->conn.is_open()) db_ = std::make_unique<Db>(conninfo_);
      pqxx::read_transaction txn(db_->conn);
      for (const auto& row : txn.exec_params(
               "SELECT partition, next_offset FROM projection_offsets WHERE projector = $1 AND topic = $2",
               projector_, topic))
        stored[row[0].as<int32_t>()] = row[1].as<int64_t>();
      break;
    } catch (const pqxx::broken_connection& e) {
      db_.reset();
      if (attempt > 0) return make_error(Errc::unavailable, std::string("lag probe: ") + e.what());
    } catch (const std::exception& e) {
      return make_error(Errc::unavailable, std::string("lag probe: ") + e.what());
    }
  }
  std::vector<PartitionLag> out;
  for (int32_t p = 0; p < *partitions; ++p) {
    auto end = log.end_offset({topic, p});
    if (!end.ok()) return end.error();
    const auto it = stored.find(p);
    const int64_t next = it == stored.end() ? 0 : it->second;
    out.push_back({p, next, *end, std::max<int64_t>(0, *end - next)});
  }
  return out;
}

}  // namespace pw::projections
