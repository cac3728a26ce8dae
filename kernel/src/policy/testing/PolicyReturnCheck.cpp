#include "PolicyReturnCheck.h"

#include "PolicyGeneration.h"
#include "PolicySimulation.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <set>

namespace comfygate {

namespace {

Poco::Dynamic::Var example(const std::string& text)
{
    if (text.empty())
        return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    return Poco::JSON::Parser().parse(text);
}

} // namespace

PolicyReturnCheck::Result PolicyReturnCheck::run(const std::string& scriptsDir, const std::vector<HookSpec>& hooks,
                                                 const PolicyLimits& limits,
                                                 const std::map<std::string, std::string>& settings)
{
    Result result;
    std::set<std::string> hookNames;
    for (const auto& spec : hooks)
        hookNames.insert(spec.name);
    const PolicyGeneration generation(0, scriptsDir, hookNames);
    PolicySimulation simulation(generation, limits, settings, std::make_shared<SimulatedPolicyEffects>());
    if (!simulation.loadError().empty()) {
        result.failures.push_back(simulation.loadError());
        return result;
    }
    const auto handlers = simulation.sandbox().handlerCounts();
    for (const auto& spec : hooks) {
        if (handlers.count(spec.name) == 0)
            continue;
        Poco::Dynamic::Var subject, request;
        try {
            subject = example(spec.subjectExample);
            request = example(spec.requestExample);
        } catch (const std::exception& e) {
            result.failures.push_back("hook " + spec.name + ": its examples are not JSON: " + e.what());
            continue;
        }
        auto problems = simulation.sandbox().checkHandlerReturns(spec.name, subject, request, result.failures);
        result.problems.insert(result.problems.end(), problems.begin(), problems.end());
    }
    return result;
}

} // namespace comfygate
