#include "TokenTable.h"

#include <stdexcept>

namespace comfygate::fakes {

TokenTable::TokenTable()
{
    _tokens["tok-ok"] = TokenInfo{1, "fake-user", "free", {}, {}};
    _tokens["tok-member"] = TokenInfo{2, "fake-member", "member", {}, {}};
    _tokens["tok-nogate"] = TokenInfo{3, "fake-nogate", "free", {}, {}};
    _tokens["tok-gate"] = TokenInfo{4, "fake-gate", "free", {}, {"org/gated"}};
}

void TokenTable::add(const std::string& token, TokenInfo info)
{
    if (token.empty())
        throw std::invalid_argument("token is empty");
    std::lock_guard lock(_mutex);
    _tokens[token] = std::move(info);
}

void TokenTable::grantEarlyAccess(const std::string& token, int versionId)
{
    std::lock_guard lock(_mutex);
    _tokens.at(token).earlyAccess.insert(versionId);
}

void TokenTable::grantHfAccess(const std::string& token, const std::string& repoId)
{
    std::lock_guard lock(_mutex);
    _tokens.at(token).hfGatedAccess.insert(repoId);
}

std::optional<TokenInfo> TokenTable::find(const std::string& token) const
{
    std::lock_guard lock(_mutex);
    const auto found = _tokens.find(token);
    if (found == _tokens.end())
        return std::nullopt;
    return found->second;
}

} // namespace comfygate::fakes
