// A real PostgreSQL for tests: one throwaway embedded cluster per test
// process, started on first use in a fresh temp dir, stopped and removed at
// exit. Each test takes its own database from fresh_database(), so tests are
// isolated without paying for an initdb each.
//
// Thread safety: test_cluster() and fresh_database() may be called from any
// thread. If the cluster cannot start, the process exits with the reason:
// every test after it would fail the same way.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "db/cluster.h"

namespace gatehouse::test_support {

// The process's cluster (started on first call).
const db::EmbeddedCluster& test_cluster();

// Creates a new, empty, uniquely named database and returns its conninfo.
std::string fresh_database();

// A new empty directory under $TMPDIR (or /tmp), mode 0711 so that the
// postgres user can traverse it when tests run as root. The caller removes it.
std::filesystem::path make_temp_dir(std::string_view prefix);

}  // namespace gatehouse::test_support
