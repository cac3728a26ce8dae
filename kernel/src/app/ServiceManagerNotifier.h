#pragma once

#include <string>

namespace comfygate {

/// Tells the service manager what `serve` is doing (systemd's Type=notify, through sd_notify):
/// READY=1 once the server listens, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1
/// when it starts draining. Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
class ServiceManagerNotifier
{
public:
    /// READY=1 with a STATUS= line for `systemctl status`.
    static void ready(const std::string& status);
    /// RELOADING=1 with the MONOTONIC_USEC systemd asks for beside it.
    static void reloading();
    static void stopping();
};

} // namespace comfygate
