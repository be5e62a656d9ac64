#include <filesystem>
#include <random>

#include "tests/workers/backend.hpp"

namespace pw::test {
namespace {

class Local final : public ProcessorBackend {
 public:
  ~Local() override {
    std::error_code ec;
    for (const auto& d : dirs_) std::filesystem::remove_all(d, ec);
  }
  std::string fresh_uri() override {
    std::random_device rd;
    dirs_.push_back(std::filesystem::temp_directory_path() /
                    ("pw-proc-" + std::to_string(rd()) + std::to_string(rd())));
    return "local:" + dirs_.back().string();
  }
  log::Config config() const override { return {{"fsync", "false"}}; }
  bool single_process() const override { return true; }

 private:
  std::vector<std::filesystem::path> dirs_;
};

}  // namespace

std::unique_ptr<ProcessorBackend> make_processor_backend() { return std::make_unique<Local>(); }

}  // namespace pw::test
