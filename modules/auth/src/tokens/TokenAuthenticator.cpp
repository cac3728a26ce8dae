#include "TokenAuthenticator.h"

#include "ApiTokenCodec.h"
#include "AuthServices.h"
#include "RandomTokens.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace comfygate::auth {
namespace {

HttpError unauthorized(const std::string& why) { return HttpError(401, why + ": sign in again or use a valid token"); }

bool isSafeMethod(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

std::string bodySessionId(const std::string* body)
{
    if (!body || body->empty())
        return {};
    try {
        auto object = Poco::JSON::Parser().parse(*body).extract<Poco::JSON::Object::Ptr>();
        if (object && object->has("session_id") && object->get("session_id").isString())
            return object->getValue<std::string>("session_id");
    } catch (...) {
    }
    return {};
}

std::string pathOf(const std::string& uri)
{
    const auto question = uri.find('?');
    return question == std::string::npos ? uri : uri.substr(0, question);
}

} // namespace

Principal TokenAuthenticator::principalOf(const User& user, const std::string& tokenKind, const std::string& sessionId)
{
    Principal principal;
    principal.authenticated = true;
    principal.userId = user.id;
    principal.username = user.username;
    principal.role = user.role;
    principal.groups = user.groups;
    principal.sfwCheck = user.role == "guest" ? true : user.sfwCheck; // guests are always SFW-enforced
    principal.mfaEnabled = user.mfaEnabled;
    principal.createdAt = user.createdAt; // cached rows keep the whole user, so every kind has it
    principal.tokenKind = tokenKind;
    principal.sessionId = sessionId;
    return principal;
}

std::optional<Credential> TokenAuthenticator::find(const Poco::Net::HTTPServerRequest& request,
                                                   const ClientInfo& client) const
{
    const std::string authorization = request.get("Authorization", "");
    if (!authorization.empty()) {
        if (Poco::icompare(authorization.substr(0, 7), std::string("Bearer ")) != 0)
            throw HttpError(401, "unsupported Authorization scheme: use Authorization: Bearer <token>");
        return Credential{Poco::trim(authorization.substr(7)), CredentialSource::Bearer};
    }
    const std::string apiKey = request.get("X-API-Key", "");
    if (!apiKey.empty())
        return Credential{apiKey, CredentialSource::ApiKey};

    const std::string path = pathOf(request.getURI());
    if (path.rfind("/API/", 0) == 0) {
        std::string sessionId = request.get("X-Session-ID", "");
        if (sessionId.empty())
            sessionId = bodySessionId(client.body);
        if (!sessionId.empty())
            return Credential{sessionId, CredentialSource::SwarmSession};
    }

    Poco::Net::NameValueCollection cookies;
    request.getCookies(cookies);
    for (const char* name : {"jwt_token", "swarm_token"}) {
        if (cookies.has(name) && !cookies.get(name).empty())
            return Credential{cookies.get(name), CredentialSource::Cookie};
    }

    const auto& paths = _services.settings.queryTokenPaths;
    if (std::find(paths.begin(), paths.end(), path) != paths.end()) {
        for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
            if ((name == "token" || name == "access_token") && !value.empty())
                return Credential{value, CredentialSource::Query};
        }
    }
    return std::nullopt;
}

std::optional<Principal> TokenAuthenticator::authenticate(Poco::Net::HTTPServerRequest& request,
                                                          const ClientInfo& client)
{
    const std::int64_t now = unixNow();
    if (_services.ipLists.isBlacklisted(client.address, now))
        throw HttpError(403, "requests from this address are blocked; ask an administrator to lift the block",
                        "ip_blocked");
    auto credential = find(request, client);
    if (!credential)
        return std::nullopt;
    if (credential->source == CredentialSource::Cookie && !isSafeMethod(request.getMethod()))
        checkOrigin(request, client);
    return verify(*credential, now);
}

Principal TokenAuthenticator::verify(const Credential& credential, std::int64_t now)
{
    if (credential.value.size() > 4096)
        throw unauthorized("the token is too long");
    if (credential.source == CredentialSource::SwarmSession)
        return verifySwarmSession(credential.value, now);
    if (ApiTokenCodec::wellFormed(credential.value)) {
        if (credential.source == CredentialSource::Cookie)
            throw unauthorized("API tokens are not accepted from cookies");
        return verifyApiToken(credential.value, now);
    }
    if (credential.source == CredentialSource::ApiKey)
        throw unauthorized("X-API-Key takes an API token");
    if (std::count(credential.value.begin(), credential.value.end(), '.') == 2)
        return verifySessionJwt(credential.value, now);
    throw unauthorized("the token is not valid");
}

std::string TokenAuthenticator::apiTokenProblem(const CredentialCache::Row& row, std::int64_t now)
{
    const auto createdAt = row.second[0].convert<Poco::Int64>();
    const auto expiresAt = row.second[1].convert<Poco::Int64>();
    if (expiresAt != 0 && expiresAt <= now)
        return "the API token has expired";
    if (createdAt < row.first.tokensValidAfter)
        return "the API token is no longer valid";
    return {};
}

Principal TokenAuthenticator::verifyApiToken(const std::string& token, std::int64_t now)
{
    const std::string hash = ApiTokenCodec::hash(token);
    const std::string cacheKey = "t:" + hash;
    auto row = _services.credentials.find(cacheKey);
    if (!row || !apiTokenProblem(*row, now).empty()) {
        const std::uint64_t epoch = _services.credentials.epoch();
        // One query for the token and its user.
        row = _services.users.findWithCredential("api_tokens", "hash", hash, {"created_at", "expires_at"});
        if (!row)
            throw unauthorized("the API token is not valid or was revoked");
        if (const std::string problem = apiTokenProblem(*row, now); !problem.empty())
            throw unauthorized(problem);
        remember(cacheKey, *row, epoch);
    }
    _services.apiTokens.touch(hash, now);
    return principalOf(row->first, "api_token", hash); // the credential id a SwarmUI session binds to
}

TokenAuthenticator::SessionState TokenAuthenticator::sessionState(const CredentialCache::Row& row,
                                                                  const JwtCodec::Claims& claims,
                                                                  std::int64_t now) const
{
    if (row.second[0].convert<int>() != 0)
        return SessionState::Ended;
    if (row.second[1].convert<Poco::Int64>() <= now)
        return SessionState::Expired;
    if (row.second[2].convert<Poco::Int64>() + _services.settings.idleSeconds < now)
        return SessionState::Idle;
    if (claims.subject != row.first.id || claims.issuedAt < row.first.tokensValidAfter)
        return SessionState::Invalid;
    return SessionState::Valid;
}

Principal TokenAuthenticator::verifySessionJwt(const std::string& token, std::int64_t now)
{
    auto claims = _cache.find(token, now);
    if (!claims) {
        try {
            claims = _services.jwt.verify(token, now);
        } catch (const JwtError& e) {
            throw unauthorized(std::string("the session token is not valid (") + e.what() + ")");
        }
        _cache.remember(token, *claims, now);
    }
    const std::string cacheKey = "s:" + claims->jti;
    auto row = _services.credentials.find(cacheKey);
    // A cached row may hold an older last use than the database (another process touched
    // it): only the database decides that a session was idle too long.
    if (!row || sessionState(*row, *claims, now) != SessionState::Valid) {
        const std::uint64_t epoch = _services.credentials.epoch();
        // One query for the session and its user.
        row = _services.users.findWithCredential("session_tokens", "jti", claims->jti,
                                                 {"revoked", "expires_at", "last_used_at"});
        if (!row)
            throw unauthorized("the session has ended");
        switch (sessionState(*row, *claims, now)) {
        case SessionState::Ended:
            throw unauthorized("the session has ended");
        case SessionState::Expired:
            throw unauthorized("the session has expired");
        case SessionState::Idle:
            _services.sessions.revoke(claims->jti);
            throw unauthorized("the session was idle too long");
        case SessionState::Invalid:
            throw unauthorized("the session is no longer valid");
        case SessionState::Valid:
            break;
        }
        remember(cacheKey, *row, epoch);
    }
    // The cached row keeps the last use it was read with; once touch() writes a newer one the
    // entry is read again, so the idle check always sees what the database holds.
    if (_services.sessions.touch(claims->jti, now))
        _services.credentials.forget(cacheKey);
    return principalOf(row->first, "session", claims->jti);
}

void TokenAuthenticator::remember(const std::string& cacheKey, CredentialCache::Row row, std::uint64_t epoch)
{
    row.first.passwordHash.clear(); // not needed to authenticate; keep it out of long-lived memory
    _services.credentials.remember(cacheKey, row, epoch);
}

std::optional<CredentialCache::Row> TokenAuthenticator::readSwarmSession(const std::string& sessionHash)
{
    auto row = _services.users.findWithCredential("swarm_sessions", "session_hash", sessionHash,
                                                  {"credential_kind", "credential_id", "created_at", "last_used_at"});
    if (!row)
        return std::nullopt;
    auto& values = row->second;
    const std::string kind = values[0].convert<std::string>();
    const std::string credentialId = values[1].convert<std::string>();
    if (kind == "session") {
        const auto parent = _services.sessions.find(credentialId);
        if (!parent)
            return std::nullopt;
        values.insert(values.end(), {Poco::Int64(parent->revoked ? 1 : 0), Poco::Int64(parent->expiresAt),
                                     Poco::Int64(parent->lastUsedAt)});
    } else {
        const auto parent = _services.apiTokens.findByHash(credentialId);
        if (!parent)
            return std::nullopt;
        values.insert(values.end(), {Poco::Int64(0), Poco::Int64(parent->expiresAt), Poco::Int64(0)});
    }
    return row;
}

bool TokenAuthenticator::swarmSessionAccepted(const CredentialCache::Row& row, std::int64_t now) const
{
    const auto& values = row.second;
    const auto number = [&values](std::size_t index) { return values[index].convert<Poco::Int64>(); };
    const std::int64_t idle = _services.settings.idleSeconds;
    const bool boundToSession = values[0].convert<std::string>() == "session";
    return number(2) >= row.first.tokensValidAfter && number(3) + idle >= now && number(4) == 0 &&
           (number(5) == 0 || number(5) > now) && (!boundToSession || number(6) + idle >= now);
}

Principal TokenAuthenticator::verifySwarmSession(const std::string& sessionId, std::int64_t now)
{
    const auto invalid = [] {
        return HttpError(401, "Invalid session ID. You may need to refresh the page.", "invalid_session_id");
    };
    if (sessionId.size() != 40)
        throw invalid();
    // A session_id lives only as long as the credential that created it; verified like the
    // other credentials: from the cache while the revocation epoch stands, and a cached row
    // that would refuse (idle, expired) is read again, so only the database refuses.
    const std::string hash = RandomTokens::sha256Hex(sessionId);
    const std::string cacheKey = "w:" + hash;
    auto row = _services.credentials.find(cacheKey);
    if (!row || !swarmSessionAccepted(*row, now)) {
        const std::uint64_t epoch = _services.credentials.epoch();
        row = readSwarmSession(hash);
        if (!row || !swarmSessionAccepted(*row, now))
            throw invalid();
        remember(cacheKey, *row, epoch);
    }
    const std::string credentialId = row->second[1].convert<std::string>();
    // Both last uses are throttled writes; after one, the cached row's copy is stale.
    bool touched = _services.swarmSessions.touch(hash, now);
    if (row->second[0].convert<std::string>() == "session")
        touched = _services.sessions.touch(credentialId, now) || touched;
    if (touched)
        _services.credentials.forget(cacheKey);
    return principalOf(row->first, "swarm_session", credentialId);
}

void TokenAuthenticator::checkOrigin(const Poco::Net::HTTPServerRequest& request, const ClientInfo& client) const
{
    const HttpError refused(403,
                            "cross-site request refused: a cookie-authenticated change needs an Origin of this "
                            "server (API clients should send Authorization: Bearer instead)",
                            "csrf");
    if (Poco::icompare(request.get("Sec-Fetch-Site", ""), std::string("cross-site")) == 0)
        throw refused;
    const std::string origin = request.get("Origin", "");
    if (origin.empty()) {
        if (request.get("Sec-Fetch-Site", "") == "same-origin")
            return;
        throw refused;
    }
    if (origin == "null")
        throw refused;
    const std::string own = std::string(client.secure ? "https://" : "http://") + request.getHost();
    if (origin == own)
        return;
    const auto& allowed = _services.settings.allowedOrigins;
    if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end())
        return;
    if (!_services.settings.baseUrl.empty()) {
        try {
            const Poco::URI base(_services.settings.baseUrl);
            std::string baseOrigin = base.getScheme() + "://" + base.getAuthority();
            if (origin == baseOrigin)
                return;
        } catch (...) {
        }
    }
    throw refused;
}

} // namespace comfygate::auth
