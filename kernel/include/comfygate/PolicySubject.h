#pragma once

#include <Poco/JSON/Object.h>

namespace comfygate {

class HttpExchange;
struct Principal;

/// The `subject` every policy hook receives, built in one place so that scripts see the same
/// fields whichever module calls them:
///   user_id, username, role, groups (array), mfa (bool), sfw_check (bool), token_kind,
///   account_created_at and account_age_days (when the authenticator knows the creation time),
/// and, with an exchange: address (the real client, after trusted proxies) and
/// via_trusted_proxy (bool). An anonymous principal gives username "" and role "guest".
Poco::JSON::Object::Ptr policySubject(const Principal& principal);
Poco::JSON::Object::Ptr policySubject(const HttpExchange& exchange);

} // namespace comfygate
