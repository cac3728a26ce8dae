#pragma once

#include "PolicyEffectsSettings.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate {

class PolicyEngine;

/// `POST /mss-login/api/admin/policies/dry-run`: runs one hook's handlers of the *active*
/// generation in a throwaway state (PolicySimulation) whose counters and kv read through to
/// the server's live effects while every write, notification, HTTP call and tag stays
/// simulated. The server's own states and stores are not touched.
class PolicyDryRun
{
public:
    /// `caps`: the live kv caps and notification channels (a notification to a channel the
    /// server does not have fails as it would live).
    PolicyDryRun(const PolicyEngine& engine, PolicyEffectsSettings caps) : _engine(engine), _caps(std::move(caps)) {}

    /// `subject` and `request` default (when empty) to the hook's HookSpec examples.
    /// Answers {decision: "allow"|"deny"|"modify", reason, request (when modified), failed,
    /// error, fail_mode, notifications: [{channel, message, fields}], counters: [{name, key,
    /// before, after}], http_calls: [{method, url}], tags: [...], generation, duration_ms}.
    /// A failed run reports the decision the hook's fail mode makes. Throws
    /// std::invalid_argument for an undeclared hook (naming the declared ones) or a subject
    /// or request that is not a JSON object.
    Poco::JSON::Object::Ptr run(const std::string& hook, Poco::Dynamic::Var subject, Poco::Dynamic::Var request) const;

private:
    const PolicyEngine& _engine;
    PolicyEffectsSettings _caps;
};

} // namespace comfygate
