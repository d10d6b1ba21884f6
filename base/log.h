// Structured log lines in logfmt, one per event, on stderr:
//   ts=2026-11-22T09:56:42.123456Z level=info component=db msg="cluster started" dir=var/pg
// Thread safety: log() may be called from any thread; lines never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace gatehouse {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string>;

void log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

// Lines below this level are dropped. Default: info; GATEHOUSE_LOG=debug lowers it.
void set_log_level(LogLevel level);

// Quotes a value for logfmt when it needs it (spaces, quotes, '=', control bytes).
std::string logfmt_value(std::string_view value);

}  // namespace gatehouse
