#include "MfaRoutes.h"

#include "AuthPolicy.h"
#include "AuthServices.h"
#include "CredentialChecker.h"
#include "QrCodeSvg.h"
#include "RandomTokens.h"
#include "SecondFactor.h"
#include "Totp.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::auth {
namespace {

constexpr int backupCodeCount = 10;

Poco::JSON::Object::Ptr message(const std::string& text)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("message", text);
    return body;
}

} // namespace

void MfaRoutes::registerAll(RouteRegistry& routes)
{
    const std::vector<std::tuple<const char*, const char*, void (MfaRoutes::*)(HttpExchange&)>> table{
        {"/mss-login/api/mfa/setup", "start MFA enrolment: provisioning URI and backup codes", &MfaRoutes::setup},
        {"/mss-login/api/mfa/verify-setup", "confirm enrolment with a code from the app", &MfaRoutes::verifySetup},
        {"/mss-login/api/mfa/verify", "second login step: mfa_temp_token and code or backup_code", &MfaRoutes::verify},
        {"/mss-login/api/mfa/disable", "turn MFA off (needs the password and a current code)", &MfaRoutes::disable},
    };
    for (const auto& [pattern, description, method] : table) {
        auto route = RouteSpec::make("POST", pattern, Access::Public, description,
                               [this, method = method](HttpExchange& e) { (this->*method)(e); });
        route.aliases = {std::string("/api") + pattern};
        route.bodyLimit = 16 * 1024;
        routes.add(route);
    }
}

void MfaRoutes::requireAvailable() const
{
    if (_services.settings.mfaDisabled)
        throw HttpError(403, "MFA is disabled on this server (auth.mfa_disabled)");
}

User MfaRoutes::setupUser(HttpExchange& exchange, const std::string& tempToken)
{
    if (!tempToken.empty()) {
        const auto pending = _services.mfa.peekTempToken(RandomTokens::sha256Hex(tempToken), unixNow());
        if (!pending || pending->purpose != "setup")
            throw HttpError(401, "the MFA setup step has expired or is unknown: sign in again");
        if (const auto user = _services.users.findById(pending->userId))
            return *user;
    } else if (exchange.principal().authenticated && exchange.principal().tokenKind == "session") {
        if (const auto user = _services.users.findById(exchange.principal().userId))
            return *user;
    }
    throw HttpError(401, "MFA setup needs a session or the mfa_temp_token of your login");
}

void MfaRoutes::setup(HttpExchange& exchange)
{
    requireAvailable();
    const auto body = exchange.jsonBody();
    const User user = setupUser(exchange, body->optValue<std::string>("mfa_temp_token", ""));
    if (user.mfaEnabled)
        throw HttpError(400, "MFA is already enabled: disable it first to enrol a new device");
    const std::string secret = Totp::generateSecret();
    _services.mfa.setPendingSecret(user.id, secret);
    std::vector<std::string> hashes;
    Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
    for (int i = 0; i < backupCodeCount; ++i) {
        const std::string code = RandomTokens::hex(14); // 112 bits: a plain SHA-256 suffices
        hashes.push_back(RandomTokens::sha256Hex(code));
        codes->add(code);
    }
    _services.mfa.replaceBackupCodes(user.id, hashes);
    auto answer = message("Scan the provisioning URI with an authenticator app, then confirm with verify-setup. "
                          "Keep the backup codes somewhere safe: each works once.");
    const std::string uri = Totp::provisioningUri(_services.settings.totpIssuer, user.username, secret);
    answer->set("provisioning_uri", uri);
    answer->set("qr_svg", QrCodeSvg::render(uri));
    answer->set("secret", secret);
    answer->set("backup_code", codes->getElement<std::string>(0));
    answer->set("backup_codes", codes);
    exchange.sendJson(200, answer);
}

void MfaRoutes::verifySetup(HttpExchange& exchange)
{
    requireAvailable();
    const auto body = exchange.jsonBody();
    const std::string tempToken = body->optValue<std::string>("mfa_temp_token", "");
    const User user = setupUser(exchange, tempToken);
    const auto pending = _services.mfa.pendingSecret(user.id);
    if (!pending)
        throw HttpError(400, "no MFA setup is in progress: call /mss-login/api/mfa/setup first");
    const auto step = Totp::match(*pending, body->optValue<std::string>("code", ""), unixNow(), -1);
    if (!step)
        throw HttpError(400, "Invalid code: check the device clock and enter the current 6-digit code",
                        "invalid_code");
    _services.mfa.activate(user.id);
    _services.mfa.consumeStep(user.id, *step);
    _services.audit(user.username, "mfa.enable", user.username, exchange.client().toString());
    auto answer = message("MFA enabled successfully");
    if (!tempToken.empty()) {
        // Enrolment was the condition of a login: the login completes now.
        if (!_services.mfa.consumeTempToken(RandomTokens::sha256Hex(tempToken), unixNow()))
            throw HttpError(401, "the MFA setup step has expired: sign in again");
        User enrolled = user; // read before the enrolment: the login hook sees mfa = true
        enrolled.mfaEnabled = true;
        AuthPolicy(_services).requireLoginAllowed(enrolled, exchange, "mfa_setup");
        answer->set("jwt_token", _issuer.start(enrolled, exchange).token);
    }
    exchange.sendJson(200, answer);
}

void MfaRoutes::verify(HttpExchange& exchange)
{
    requireAvailable();
    const auto body = exchange.jsonBody();
    const auto passed = SecondFactor(_services).complete(
        body->optValue<std::string>("mfa_temp_token", ""), body->optValue<std::string>("code", ""),
        body->optValue<std::string>("backup_code", ""), "login", exchange.client());
    AuthPolicy(_services).requireLoginAllowed(passed.user, exchange, "mfa");
    const auto issued = _issuer.start(passed.user, exchange);
    _services.audit(passed.user.username, "login.success", passed.user.username, exchange.client().toString(),
                    "{\"mfa\":true}");
    auto answer = message("Login successful");
    answer->set("jwt_token", issued.token);
    answer->set("redirect_url", "/");
    exchange.sendJson(200, answer);
}

void MfaRoutes::disable(HttpExchange& exchange)
{
    const Principal& principal = exchange.principal();
    if (!principal.authenticated || principal.tokenKind != "session")
        throw HttpError(401, "turning MFA off needs a session");
    const auto body = exchange.jsonBody();
    // Re-authentication: the password and a current code (ASVS 7.5.1).
    const User user = CredentialChecker(_services).check(principal.username, body->optValue<std::string>("password", ""),
                                                         exchange.client());
    if (user.mfaEnabled && !SecondFactor(_services).acceptCode(user.id, body->optValue<std::string>("code", "")))
        throw HttpError(400, "Invalid code", "invalid_code");
    _services.mfa.disable(user.id);
    _services.audit(user.username, "mfa.disable", user.username, exchange.client().toString());
    exchange.sendJson(200, message("MFA disabled"));
}

} // namespace comfygate::auth
