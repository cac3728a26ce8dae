#pragma once

#include "NodeCatalog.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace comfygate::fakes {

/// ComfyUI's validate_prompt/validate_inputs (execution.py) against a NodeCatalog: the same
/// checks in the same order, the same error types, messages and details.
class PromptValidator
{
public:
    struct Result
    {
        bool valid = false;
        Poco::JSON::Object::Ptr error;       ///< {"type","message","details","extra_info"} when invalid
        Poco::JSON::Object::Ptr nodeErrors;  ///< {node_id: {"errors","dependent_outputs","class_type"}}
        std::vector<std::string> outputs;    ///< output node ids that passed (outputs_to_execute)
    };

    explicit PromptValidator(const NodeCatalog& catalog);

    /// Validates `prompt` (an API-format graph); converts INT/FLOAT/STRING inputs in place as
    /// ComfyUI does. `partialTargets` may be null.
    Result validate(const Poco::JSON::Object::Ptr& prompt, const Poco::JSON::Array::Ptr& partialTargets);

    /// One error dict `{"type","message","details","extra_info"}`.
    static Poco::JSON::Object::Ptr makeError(const std::string& type, const std::string& message,
                                             const std::string& details, Poco::JSON::Object::Ptr extraInfo = nullptr);

private:
    struct Verdict
    {
        bool valid = true;
        Poco::JSON::Array::Ptr reasons;
    };
    Verdict validateInputs(const Poco::JSON::Object::Ptr& prompt, const std::string& nodeId);

    const NodeCatalog& _catalog;
    std::map<std::string, Poco::JSON::Object::Ptr> _infoCache;
    std::vector<std::pair<std::string, Verdict>> _validated;
};

} // namespace comfygate::fakes
