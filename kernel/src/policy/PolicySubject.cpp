#include "comfygate/PolicySubject.h"

#include "comfygate/HttpExchange.h"
#include "comfygate/Principal.h"

#include <Poco/JSON/Array.h>

#include <ctime>

namespace comfygate {

Poco::JSON::Object::Ptr policySubject(const Principal& principal)
{
    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("user_id", principal.userId);
    subject->set("username", principal.username);
    subject->set("role", principal.role);
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    for (const auto& group : principal.groups)
        groups->add(group);
    subject->set("groups", groups);
    subject->set("mfa", principal.mfaEnabled);
    subject->set("sfw_check", principal.sfwCheck || principal.role == "guest");
    subject->set("token_kind", principal.tokenKind);
    if (principal.createdAt > 0) {
        const long long now = static_cast<long long>(std::time(nullptr));
        subject->set("account_created_at", static_cast<Poco::Int64>(principal.createdAt));
        subject->set("account_age_days", static_cast<Poco::Int64>(now > principal.createdAt ? (now - principal.createdAt) / 86400 : 0));
    }
    return subject;
}

Poco::JSON::Object::Ptr policySubject(const HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr subject = policySubject(exchange.principal());
    subject->set("address", exchange.client().toString());
    subject->set("via_trusted_proxy", exchange.viaTrustedProxy());
    return subject;
}

} // namespace comfygate
