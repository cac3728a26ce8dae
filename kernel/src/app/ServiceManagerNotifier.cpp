#include "ServiceManagerNotifier.h"

#include <Poco/Logger.h>

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace comfygate {
namespace {

void notify(const std::string& state)
{
    // 0: NOTIFY_SOCKET stays set for the later notifications of this process.
    const int sent = sd_notify(0, state.c_str());
    if (sent < 0)
        Poco::Logger::get("kernel").warning("could not notify the service manager (%s): %s",
                                            state.substr(0, state.find('\n')), std::string(std::strerror(-sent)));
}

} // namespace

void ServiceManagerNotifier::ready(const std::string& status)
{
    notify("READY=1\nSTATUS=" + status);
}

void ServiceManagerNotifier::reloading()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const unsigned long long micros =
        static_cast<unsigned long long>(now.tv_sec) * 1000000ULL + static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    notify("RELOADING=1\nSTATUS=reloading the policies\nMONOTONIC_USEC=" + std::to_string(micros));
}

void ServiceManagerNotifier::stopping()
{
    notify("STOPPING=1\nSTATUS=draining and stopping");
}

} // namespace comfygate
