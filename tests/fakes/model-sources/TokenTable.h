#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace comfygate::fakes {

/// Who a token belongs to and what it unlocks.
struct TokenInfo
{
    int userId = 0;
    std::string username;
    std::string tier = "free";
    std::set<int> earlyAccess;           ///< CivitAI version ids this user bought
    std::set<std::string> hfGatedAccess; ///< Hugging Face gated (or private) repos granted
};

/// The tokens the fakes accept. Starts with the fixtures of the reference: `tok-ok` (user 1),
/// `tok-member` (user 2, tier member), `tok-nogate` and `tok-gate` (granted "org/gated").
/// Anything else is invalid. Thread-safe.
class TokenTable
{
public:
    TokenTable();
    void add(const std::string& token, TokenInfo info);
    /// Adds a CivitAI version to what an existing token has bought (throws for unknown tokens).
    void grantEarlyAccess(const std::string& token, int versionId);
    void grantHfAccess(const std::string& token, const std::string& repoId);
    std::optional<TokenInfo> find(const std::string& token) const;

private:
    mutable std::mutex _mutex;
    std::map<std::string, TokenInfo> _tokens;
};

} // namespace comfygate::fakes
