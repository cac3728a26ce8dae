#include "PolicyDryRun.h"

#include "PolicyEngine.h"
#include "PolicySimulation.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <stdexcept>

namespace comfygate {

namespace {

bool isObject(const Poco::Dynamic::Var& value)
{
    return value.type() == typeid(Poco::JSON::Object::Ptr);
}

Poco::Dynamic::Var exampleOr(Poco::Dynamic::Var given, const std::string& example, const char* what)
{
    if (given.isEmpty())
        return example.empty() ? Poco::Dynamic::Var(Poco::JSON::Object::Ptr(new Poco::JSON::Object))
                               : Poco::JSON::Parser().parse(example);
    if (!isObject(given))
        throw std::invalid_argument(std::string(what) + " must be a JSON object");
    return given;
}

const char* decisionName(Verdict::Decision decision)
{
    switch (decision) {
    case Verdict::Decision::Deny:
        return "deny";
    case Verdict::Decision::Modify:
        return "modify";
    case Verdict::Decision::Allow:
        break;
    }
    return "allow";
}

} // namespace

Poco::JSON::Object::Ptr PolicyDryRun::run(const std::string& hook, Poco::Dynamic::Var subject,
                                          Poco::Dynamic::Var request) const
{
    const HookSpec* spec = nullptr;
    const auto hooks = _engine.hooks();
    std::string declared;
    for (const auto& candidate : hooks) {
        declared += (declared.empty() ? "" : ", ") + candidate.name;
        if (candidate.name == hook)
            spec = &candidate;
    }
    if (!spec)
        throw std::invalid_argument("unknown hook '" + hook + "' (declared hooks: " + declared + ")");
    subject = exampleOr(subject, spec->subjectExample, "subject");
    request = exampleOr(request, spec->requestExample, "request");

    const auto started = std::chrono::steady_clock::now();
    const auto generation = _engine.activeGeneration();
    auto effects = std::make_shared<SimulatedPolicyEffects>(_caps, _engine.effects());
    effects->refuseUnknownChannels();
    PolicySimulation simulation(*generation, _engine.limits(), _engine.settings(), effects);
    Verdict verdict;
    if (simulation.loadError().empty()) {
        verdict = simulation.sandbox().callHook(hook, subject, request);
    } else {
        verdict.failed = true;
        verdict.error = simulation.loadError();
    }
    if (verdict.failed) {
        verdict.value.clear();
        verdict.decision = spec->failMode == FailMode::Closed ? Verdict::Decision::Deny : Verdict::Decision::Allow;
        verdict.reason = spec->failMode == FailMode::Closed ? "policy error" : "";
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;

    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("hook", hook);
    answer->set("generation", generation->id());
    answer->set("decision", decisionName(verdict.decision));
    answer->set("reason", verdict.reason);
    if (verdict.decision == Verdict::Decision::Modify)
        answer->set("request", verdict.value);
    answer->set("failed", verdict.failed);
    answer->set("error", verdict.error);
    answer->set("fail_mode", spec->failMode == FailMode::Closed ? "closed" : "open");
    const auto record = effects->recordJson();
    for (const char* part : {"notifications", "counters", "http_calls", "tags"})
        answer->set(part, record->get(part));
    answer->set("duration_ms", std::chrono::duration<double, std::milli>(elapsed).count());
    return answer;
}

} // namespace comfygate
