#include "PolicySimulation.h"

namespace comfygate {

PolicySimulation::PolicySimulation(const PolicyGeneration& generation, const PolicyLimits& limits,
                                   const std::map<std::string, std::string>& settings,
                                   std::shared_ptr<SimulatedPolicyEffects> effects)
    : _effects(std::move(effects)),
      _sandbox(std::make_unique<LuaSandbox>(limits, settings, generation.hookNames(), generation.libraries(), _effects))
{
    for (const auto& script : generation.scripts()) {
        _loadError = _sandbox->loadScript(script.name, script.source);
        if (!_loadError.empty())
            return;
    }
}

} // namespace comfygate
