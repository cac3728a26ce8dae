#include "OriginCheck.h"

#include <Poco/String.h>

namespace comfygate::comfyproxy {
namespace {

std::string withoutDefaultPort(const std::string& authority)
{
    for (const char* port : {":80", ":443"}) {
        const std::string suffix(port);
        // Not for IPv6 literals without brackets; those never reach here with a bare port.
        if (authority.size() > suffix.size() &&
            authority.compare(authority.size() - suffix.size(), suffix.size(), suffix) == 0)
            return authority.substr(0, authority.size() - suffix.size());
    }
    return authority;
}

} // namespace

OriginCheck::OriginCheck(const std::vector<std::string>& allowedOrigins)
{
    for (const auto& origin : allowedOrigins) {
        const std::string normalized = normalizedOrigin(origin);
        if (!normalized.empty())
            _allowed.push_back(normalized);
    }
}

std::string OriginCheck::normalizedOrigin(const std::string& origin)
{
    std::string text = Poco::toLower(Poco::trim(origin));
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    const auto scheme = text.find("://");
    if (scheme == std::string::npos || scheme == 0)
        return {};
    const std::string authority = withoutDefaultPort(text.substr(scheme + 3));
    if (authority.empty() || authority.find_first_of("/?#@ ") != std::string::npos)
        return {};
    return text.substr(0, scheme + 3) + authority;
}

std::string OriginCheck::authorityOf(const std::string& origin)
{
    const std::string normalized = normalizedOrigin(origin);
    const auto scheme = normalized.find("://");
    return scheme == std::string::npos ? std::string() : normalized.substr(scheme + 3);
}

std::string OriginCheck::normalizedHost(const std::string& host)
{
    return withoutDefaultPort(Poco::toLower(Poco::trim(host)));
}

bool OriginCheck::allows(const std::string& origin, const std::string& host) const
{
    if (origin.empty())
        return true;
    const std::string authority = authorityOf(origin);
    if (authority.empty())
        return false; // "null" (sandboxed frames, file://) and garbage
    if (!host.empty() && authority == normalizedHost(host))
        return true;
    const std::string normalized = normalizedOrigin(origin);
    for (const auto& allowed : _allowed)
        if (allowed == normalized)
            return true;
    return false;
}

} // namespace comfygate::comfyproxy
