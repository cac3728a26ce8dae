#include "DoctorChecks.h"
#include "KernelSettings.h"

namespace comfygate {
namespace {

bool isPrivate(const Poco::Net::IPAddress& address)
{
    return address.isLoopback() || address.isSiteLocal() || address.isLinkLocal();
}

/// Narrower than this trusts more than one network's worth of machines to name any client.
bool isVeryWide(const IpRange& range)
{
    return range.prefix() < (range.network().family() == Poco::Net::IPAddress::IPv4 ? 8u : 16u);
}

} // namespace

void TrustedProxiesCheck::run(const KernelSettings& settings, DoctorReport& report)
{
    const auto& proxies = settings.pipeline.trustedProxies;
    if (proxies.empty()) {
        report.ok("trusted proxies", "none: client addresses come from the connection");
        return;
    }
    std::string everything, publicRanges, wide, listed;
    for (const auto& range : proxies) {
        listed += (listed.empty() ? "" : ", ") + range.text();
        if (range.prefix() == 0)
            everything += (everything.empty() ? "" : ", ") + range.text();
        else if (!isPrivate(range.network()))
            publicRanges += (publicRanges.empty() ? "" : ", ") + range.text();
        else if (isVeryWide(range))
            wide += (wide.empty() ? "" : ", ") + range.text();
    }
    const std::string fix = "list only your reverse proxies' own addresses in http.trusted_proxies (e.g. 127.0.0.1)";
    if (!everything.empty())
        report.fail("trusted proxies",
                    everything + " trusts every address: any client can claim any IP in X-Forwarded-For", fix);
    else if (!publicRanges.empty())
        report.warn("trusted proxies",
                    publicRanges + " is a public range: machines there can claim any client IP", fix);
    else if (!wide.empty())
        report.warn("trusted proxies", wide + " is very wide for a set of proxies", fix);
    else
        report.ok("trusted proxies", listed);
}

} // namespace comfygate
