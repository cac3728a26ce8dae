#include "SqlSessionPool.h"

#include <Poco/Data/DataException.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace comfygate {

SqlSessionPool::SqlSessionPool(const std::string& connector, const std::string& connectionString,
                               int minSessions, int maxSessions, int idleSeconds, Setup setup) :
    Poco::Data::SessionPool(connector, connectionString, minSessions, maxSessions, idleSeconds),
    _setup(std::move(setup))
{
}

Poco::Data::Session SqlSessionPool::acquire(std::chrono::milliseconds wait)
{
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + wait;
    // Poco's pool has no way to wait for a returned session, so poll with a short backoff.
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        try {
            return get();
        } catch (const Poco::Data::SessionPoolExhaustedException&) {
            const auto now = Clock::now();
            if (now >= deadline)
                throw std::runtime_error(
                    "no free database session within " + std::to_string(wait.count())
                    + " ms: all " + std::to_string(capacity())
                    + " sessions of the pool are in use (raise the pool maximum, or look for "
                      "sessions held across slow work)");
            std::this_thread::sleep_for(
                std::min<Clock::duration>(pause, deadline - now));
            pause = std::min(pause * 2, std::chrono::milliseconds(20));
        }
    }
}

void SqlSessionPool::customizeSession(Poco::Data::Session& session)
{
    if (_setup)
        _setup(session);
}

} // namespace comfygate
