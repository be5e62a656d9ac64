#pragma once
// Where tenants' data rests outside PostgreSQL (the embedded event log, the
// command processors' snapshots): directories 0700 and files 0600, whatever
// the process's umask. The umask stays as it is because the published deploy
// store (workers/ship) must remain readable by the web server.
#include <filesystem>

#include "events/result.hpp"

namespace rocksdb {
class Env;
}

namespace pw::files {

// Creates `dir` and makes it 0700 (missing parents are created 0700 too:
// they hold nothing but it); regular files already directly inside it (from an
// older version) become 0600.
// Errors: Errc::unavailable with the path and the reason.
Result<void> make_private_dir(const std::filesystem::path& dir);

// A RocksDB environment whose new files are made 0600 as they are created (in
// a 0700 directory, so nobody else sees them in between). Lives as long as the
// process.
rocksdb::Env* private_rocksdb_env();

}  // namespace pw::files
