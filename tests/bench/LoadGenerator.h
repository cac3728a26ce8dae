#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace comfygate::bench {

/// Closed-loop HTTP load on loopback: `connections` threads, each with one keep-alive
/// connection, sending the same request back to back for `duration`. Bounded in time; only
/// 127.0.0.1 is ever addressed.
class LoadGenerator
{
public:
    struct Request
    {
        std::string method = "GET";
        std::string path;
        std::map<std::string, std::string> headers;
        std::string body; ///< sent with Content-Type application/json when not empty
    };

    struct Result
    {
        long long requests = 0;
        long long failures = 0; ///< non-2xx answers or transport errors
        double seconds = 0;
        std::vector<double> latenciesMs; ///< of the successful requests, sorted
        // Counted by runEvented() only (run() folds transport errors into `failures`):
        long long connectErrors = 0; ///< connects refused or timed out, connections closed before a first answer
        long long drops = 0; ///< connections closed or reset by the server (idle or with a request outstanding)
        long long timeouts = 0; ///< requests not answered within the request timeout
        long long starved = 0; ///< connections that never got one answer during the run
        /// Everything that is not a 2xx answer on a kept connection.
        long long errors() const { return failures + connectErrors + drops + timeouts; }
        double requestsPerSecond() const { return seconds > 0 ? requests / seconds : 0; }
        /// The latency below which `fraction` (0..1) of the successful requests finished; 0 without any.
        double percentileMs(double fraction) const;
    };

    LoadGenerator(unsigned port, int connections, std::chrono::milliseconds duration)
        : _port(port), _connections(connections), _duration(duration)
    {
    }

    Result run(const std::string& path, const std::map<std::string, std::string>& headers = {}) const
    {
        return run(Request{"GET", path, headers, {}});
    }
    Result run(const Request& request) const;

    /// Like run(), but `threads` epoll loops drive all `connections` (non-blocking sockets, the
    /// request serialised once, responses framed by Content-Length or chunked encoding), so a
    /// thousand connections cost a thousand sockets rather than a thousand threads. A connection
    /// the server closes or resets is counted (drops/connectErrors) and opened again; latencies
    /// are recorded for every 2xx answer.
    Result runEvented(const Request& request, int threads = 2,
                      std::chrono::milliseconds requestTimeout = std::chrono::milliseconds(5000)) const;

private:
    unsigned _port;
    int _connections;
    std::chrono::milliseconds _duration;
};

} // namespace comfygate::bench
