#include "events/kafka_end_offset.hpp"

#include <algorithm>

#include "events/ids.hpp"

namespace pw::log::kafka {

Result<void> VisibleEnd::ready() {
  if (rk_) return {};
  Config props = settings_.consumer;
  props["auto.offset.reset"] = "earliest";  // the window start may fall to retention
  auto conf = make_conf(settings_.bootstrap, props,
                        {{"group.id", settings_.names.wire("pagewright.end-offset." + uuid_v4())},  // assign() only
                         {"enable.auto.commit", "false"},
                         {"enable.partition.eof", "true"},
                         // End of partition is only reported by the fetch after
                         // the data, which a broker may hold this long.
                         {"fetch.wait.max.ms", "10"},
                         {"isolation.level", "read_committed"}});
  if (!conf) return conf.error();
  auto rk = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk) return rk.error();
  rk_ = std::move(*rk);
  rd_kafka_poll_set_consumer(rk_.get());
  return {};
}

Result<int64_t> VisibleEnd::find(const TopicPartition& tp, int64_t low, int64_t lso) {
  if (lso <= low) return lso;
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(tp); it != cache_.end() && it->second.first == lso)
    return it->second.second;
  if (auto r = ready(); !r) return r.error();

  int64_t answer = low;  // nothing visible at all: a reader from the start commits nothing
  for (int64_t window = 16;; window *= 16) {
    const int64_t from = std::max(low, lso - window);
    auto last = last_below(tp, from, lso);
    if (!last) return last.error();
    if (*last >= 0) {
      answer = *last + 1;
      break;
    }
    if (from == low) break;
  }
  cache_[tp] = {lso, answer};
  return answer;
}

Result<int64_t> VisibleEnd::last_below(const TopicPartition& tp, int64_t from, int64_t lso) {
  if (auto err = rd_kafka_assign(rk_.get(), to_list(settings_.names, Offsets{{tp, from}}).get()))
    return kafka_error("end offset", err);
  int64_t last = -1;
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  Result<int64_t> result = make_error(Errc::unavailable, "kafka: end offset: partition tail not read in time");
  while (std::chrono::steady_clock::now() < deadline) {
    MessagePtr msg(rd_kafka_consumer_poll(rk_.get(), 100));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || (!msg->err && msg->offset >= lso)) {
      result = last;
      break;
    }
    if (msg->err) {
      if (is_transient_consumer_error(msg->err)) continue;
      result = kafka_error("end offset", msg->err, rd_kafka_message_errstr(msg.get()));
      break;
    }
    last = msg->offset;
  }
  (void)rd_kafka_assign(rk_.get(), nullptr);
  return result;
}

}  // namespace pw::log::kafka
