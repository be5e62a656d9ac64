#include "workers/ship/shipper.hpp"

#include <fcntl.h>

#include <cerrno>

#include "store/layout.hpp"

namespace pw::ship {

namespace sys = store::sys;

namespace {

Result<sys::Fd> open_dir(const std::filesystem::path& dir) {
  sys::Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys::errno_error("open", dir.string(), errno);
  return fd;
}

}  // namespace

Shipper::~Shipper() = default;

Result<std::unique_ptr<Shipper>> Shipper::open(const std::filesystem::path& root) {
  try {
    if (auto made = store::create_layout(root); !made) return made.error();
    std::unique_ptr<Shipper> s(new Shipper());
    s->root_ = std::filesystem::absolute(root);
    sys::Fd* fds[4] = {&s->root_fd_, &s->deploys_fd_, &s->live_fd_, &s->previews_fd_};
    const char* names[4] = {"", "deploys", "live", "previews"};
    for (int i = 0; i < 4; ++i) {
      auto fd = open_dir(*names[i] ? s->root_ / names[i] : s->root_);
      if (!fd) return fd.error();
      *fds[i] = std::move(fd).value();
    }
    auto blobs = store::BlobStore::open(s->root_);
    if (!blobs) return blobs.error();
    s->blobs_ = std::move(blobs).value();
    auto reader = store::DeployReader::open(s->root_);
    if (!reader) return reader.error();
    s->reader_ = std::move(reader).value();
    s->durability_ = std::make_unique<Durability>(s->root_, s->root_fd_.get(), *s->blobs_);
    s->manifests_ = std::make_unique<ManifestCache>(s->deploys_fd_.get());
    s->trees_ = std::make_unique<Trees>(s->deploys_fd_.get(), *s->blobs_, *s->reader_, *s->manifests_, *s->durability_);
    s->pointers_ = std::make_unique<LivePointers>(s->root_, s->live_fd_.get(), *s->trees_, *s->reader_, *s->durability_);
    s->previews_ = std::make_unique<Previews>(s->previews_fd_.get(), *s->reader_, *s->durability_);
    s->checker_ = std::make_unique<DeployChecker>(s->deploys_fd_.get(), *s->manifests_);
    s->collector_ = std::make_unique<Collector>(s->deploys_fd_.get(), *s->blobs_, *s->reader_, *s->previews_);
    return s;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("open the shipper: ") + e.what());
  }
}

}  // namespace pw::ship
