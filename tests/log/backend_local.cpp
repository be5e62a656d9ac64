#include <chrono>
#include <filesystem>
#include <random>

#include "tests/log/backend.hpp"

namespace pw::test {
namespace {

class LocalBackend final : public LogBackend {
 public:
  LocalBackend() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("pw-log-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~LocalBackend() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<log::EventLog> open() override {
    // One process holds a local log; further "processes" share its handle the
    // way threads of `pagewright serve` do.
    if (!shared_) {
      auto r = log::open_log("local:" + dir_.string(), {{"fsync", "false"}});
      if (!r.ok()) throw std::runtime_error(r.error().message);
      shared_ = std::move(r).value();
    }
    return std::make_unique<Borrowed>(*shared_);
  }
  std::string name() const override { return "local"; }
  std::chrono::milliseconds settle() const override { return std::chrono::milliseconds(5000); }

 private:
  // Forwards to the shared log without owning it.
  class Borrowed final : public log::EventLog {
   public:
    explicit Borrowed(log::EventLog& log) : log_(log) {}
    Result<void> create_topics(const std::vector<log::TopicSpec>& t) override { return log_.create_topics(t); }
    Result<int32_t> partition_count(const std::string& t) override { return log_.partition_count(t); }
    Result<log::Appended> append(const log::Batch& b) override { return log_.append(b); }
    Result<std::unique_ptr<log::Consumer>> subscribe(const std::string& g, const std::vector<std::string>& t,
                                                     log::RebalanceListener l) override {
      return log_.subscribe(g, t, std::move(l));
    }
    Result<std::unique_ptr<log::Reader>> reader(const log::TopicPartition& tp, int64_t from) override {
      return log_.reader(tp, from);
    }
    Result<int64_t> end_offset(const log::TopicPartition& tp) override { return log_.end_offset(tp); }
    Result<std::optional<int64_t>> committed_offset(const std::string& g, const log::TopicPartition& tp) override {
      return log_.committed_offset(g, tp);
    }

   private:
    log::EventLog& log_;
  };

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> shared_;
};

}  // namespace

std::unique_ptr<LogBackend> make_backend() { return std::make_unique<LocalBackend>(); }

}  // namespace pw::test
