#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <chrono>
#include <functional>
#include <string>

namespace comfygate {

/// A Poco::Data::SessionPool that prepares every new connection with a setup function (SQLite
/// pragmas) and, when all sessions are in use, waits a bounded time for one to come back
/// instead of failing at once. Reference counted like its base: hold it in a Poco::AutoPtr.
class SqlSessionPool : public Poco::Data::SessionPool
{
public:
    using Setup = std::function<void(Poco::Data::Session&)>;

    /// `setup` runs once on each new connection, before it is handed out; when it throws,
    /// the connection is dropped and acquire() throws that exception.
    SqlSessionPool(const std::string& connector, const std::string& connectionString,
                   int minSessions, int maxSessions, int idleSeconds, Setup setup);

    /// A session from the pool. Waits up to `wait` for a free one when all are in use, then
    /// throws std::runtime_error.
    Poco::Data::Session acquire(std::chrono::milliseconds wait);

protected:
    void customizeSession(Poco::Data::Session& session) override;

private:
    Setup _setup;
};

} // namespace comfygate
