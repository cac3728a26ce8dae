#pragma once

#include "TempDir.h"

#include <Poco/Process.h>

#include <memory>
#include <string>
#include <vector>

namespace comfygate::test {

/// How many sockets nginx's worker may hold and how many upstream connections it keeps open:
/// small for the functional tests, large for bench_hotpath's reference.
struct NginxSizing
{
    int workerConnections = 64;
    int keepalive = 4;
};

/// Debian's nginx (/usr/sbin/nginx) as a reverse proxy on a free loopback port, in front of
/// one upstream server, or several taken in turn (round robin, nginx's default), with a
/// keep-alive pool of upstream connections, the way operators put it in front of the gateway. Its nginx.conf, pid, logs and temp files live in its own temp
/// dir; it runs in the foreground as one process (no master) and is killed on destruction.
/// The request header X-Test-Client is passed upstream as X-Forwarded-For.
class NginxProxy
{
public:
    /// Throws std::runtime_error with a clear message when nginx is not installed
    /// (`scripts/dev deps` installs nginx-light) or does not start.
    explicit NginxProxy(unsigned upstreamPort, NginxSizing sizing = NginxSizing());
    /// Round robin over `upstreamPorts`; a request that fails on one (connection refused)
    /// goes to the next, as nginx does by default.
    explicit NginxProxy(const std::vector<unsigned>& upstreamPorts, NginxSizing sizing = NginxSizing());
    ~NginxProxy();

    unsigned port() const { return _port; }
    std::string errorLog() const;

private:
    TempDir _dir;
    unsigned _port = 0;
    std::unique_ptr<Poco::ProcessHandle> _process;
};

} // namespace comfygate::test
