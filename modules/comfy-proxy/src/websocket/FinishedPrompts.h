#pragma once

#include "PromptOwners.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace comfygate {
class Policy;
}

namespace comfygate::comfyproxy {

/// Raises `execution_success` for the `event` policy hook once per finished prompt submitted
/// through this gateway, from the events ComfyUI sends the gateway's upstream socket (which
/// ComfyUI addresses with every prompt's T events, whether or not a client is watching):
/// `executed` carries a node's outputs (kept per prompt), `execution_success` ends the prompt.
///   subject = the owner's policySubject; fields = {prompt_id, outputs = [{filename, subfolder,
///   type, node_id}, ...]} (every output list entry that names a file: images, gifs, audio, ...)
/// ComfyUI runs one prompt at a time, so the outputs kept for other prompts are dropped when a
/// prompt starts: a prompt whose end the gateway missed does not hold memory.
class FinishedPrompts
{
public:
    /// The policy subject of a user id (the directory's current view of the user).
    using SubjectOf = std::function<Poco::JSON::Object::Ptr(const std::string& userId)>;

    FinishedPrompts(PromptOwners& owners, Policy& policy, SubjectOf subjectOf)
        : _owners(owners), _policy(policy), _subjectOf(std::move(subjectOf))
    {
    }

    /// One upstream event of `promptId` (type and data as ComfyUI sent them).
    void observe(const std::string& type, const std::string& promptId, const Poco::JSON::Object::Ptr& data);

private:
    void raise(const std::string& promptId, Poco::JSON::Array::Ptr outputs);

    PromptOwners& _owners;
    Policy& _policy;
    SubjectOf _subjectOf;
    std::mutex _mutex;
    std::map<std::string, Poco::JSON::Array::Ptr> _outputs; ///< prompt id → files so far
};

} // namespace comfygate::comfyproxy
