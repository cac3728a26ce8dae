#pragma once

#include "LuaSandbox.h"
#include "PolicyGeneration.h"
#include "PolicyLimits.h"
#include "SimulatedPolicyEffects.h"

#include <map>
#include <memory>
#include <string>

namespace comfygate {

/// A throwaway lua_State loaded with one generation's scripts on simulated effects: what
/// `comfygate policy test` runs each test file in, what `policy check` calls the handlers
/// in and what the dry-run route decides in. Nothing it does reaches the server's states.
class PolicySimulation
{
public:
    /// Loads every script of `generation`; loadError() tells when one failed (a limit, or a
    /// script that behaves differently from the run that validated it).
    /// Throws std::runtime_error when no Lua state can be created.
    PolicySimulation(const PolicyGeneration& generation, const PolicyLimits& limits,
                     const std::map<std::string, std::string>& settings,
                     std::shared_ptr<SimulatedPolicyEffects> effects);

    const std::string& loadError() const { return _loadError; }
    LuaSandbox& sandbox() { return *_sandbox; }
    SimulatedPolicyEffects& effects() { return *_effects; }

private:
    std::shared_ptr<SimulatedPolicyEffects> _effects;
    std::unique_ptr<LuaSandbox> _sandbox;
    std::string _loadError;
};

} // namespace comfygate
