#pragma once

#include <exception>
#include <string>

namespace comfygate {

/// Recognises the error of a write that waited db.sqlite.busy_timeout_ms for SQLite's write
/// lock (another process or connection held it) and gave up: the request is then answered 503
/// with Retry-After rather than 500, since the same request succeeds once the lock is free.
class DatabaseBusy
{
public:
    static bool is(const std::exception& error);
    /// What the client is told.
    static std::string message();
};

} // namespace comfygate
