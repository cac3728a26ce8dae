#pragma once

#include "TempDir.h"

#include <Poco/Process.h>

#include <memory>
#include <string>

namespace comfygate::bench {

/// The proxy reference of bench_hotpath: Debian's nginx with one worker (no master, foreground),
/// `proxy_pass` to one loopback upstream with a pool of `keepalive` upstream connections and
/// room for `workerConnections` sockets; access log off. Unlike tests/support/NginxProxy (64
/// sockets, 4 kept upstream connections, made for the functional tests), it is sized for load.
/// Killed on destruction.
class NginxReference
{
public:
    NginxReference(unsigned upstreamPort, int keepalive = 64, int workerConnections = 4096);
    ~NginxReference();

    unsigned port() const { return _port; }
    std::string errorLog() const;

private:
    comfygate::test::TempDir _dir;
    unsigned _port = 0;
    std::unique_ptr<Poco::ProcessHandle> _process;
};

} // namespace comfygate::bench
