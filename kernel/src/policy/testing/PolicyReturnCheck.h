#pragma once

#include "PolicyLimits.h"

#include "comfygate/Policy.h"

#include <map>
#include <string>
#include <vector>

namespace comfygate {

/// The type check of `comfygate policy check`: calls every handler of every hook on its own
/// with the hook's subject and request examples (HookSpec; `{}` where a spec has none) on
/// simulated effects, and reports each handler that returns something a hook cannot use.
class PolicyReturnCheck
{
public:
    struct Result
    {
        /// "file:line: <hook> handler returned a <type>; return nothing (allow), false and a
        /// reason (deny) or a table (rewrite)"; the location is the handler's.
        std::vector<std::string> problems;
        /// Handlers that failed on the examples ("file:line: message"): a hint, since an
        /// example may lack what a real request has.
        std::vector<std::string> failures;
    };

    /// `scriptsDir` must compile (PolicyEngine::check()).
    static Result run(const std::string& scriptsDir, const std::vector<HookSpec>& hooks, const PolicyLimits& limits,
                      const std::map<std::string, std::string>& settings);
};

} // namespace comfygate
