#pragma once

#include <chrono>
#include <map>
#include <string>

namespace comfygate::bench {

/// Closed-loop HTTP load on loopback: `connections` threads, each with one keep-alive
/// connection, sending the same GET back to back for `duration`. Bounded in time; only
/// 127.0.0.1 is ever addressed.
class LoadGenerator
{
public:
    struct Result
    {
        long long requests = 0;
        long long failures = 0; ///< non-2xx answers or transport errors
        double seconds = 0;
        double requestsPerSecond() const { return seconds > 0 ? requests / seconds : 0; }
    };

    LoadGenerator(unsigned port, int connections, std::chrono::milliseconds duration)
        : _port(port), _connections(connections), _duration(duration)
    {
    }

    Result run(const std::string& path, const std::map<std::string, std::string>& headers = {}) const;

private:
    unsigned _port;
    int _connections;
    std::chrono::milliseconds _duration;
};

} // namespace comfygate::bench
