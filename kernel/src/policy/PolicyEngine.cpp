#include "PolicyEngine.h"

#include "LuaSandbox.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace comfygate {

namespace {

std::atomic<std::uint64_t> nextEngineId{1};
std::atomic<std::uint64_t> nextGenerationId{1};

std::string toJsonText(const Poco::Dynamic::Var& value)
{
    std::ostringstream text;
    Poco::JSON::Stringifier::condense(value, text);
    return text.str();
}

bool isHookName(const std::string& name)
{
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

std::string describeHandlers(const std::map<std::string, std::size_t>& handlers)
{
    std::string text;
    for (const auto& [hook, count] : handlers)
        text += (text.empty() ? "" : ", ") + hook + " " + std::to_string(count);
    return text.empty() ? "none" : text;
}

} // namespace

struct PolicyEngine::ThreadState
{
    std::uint64_t generationId = 0;
    std::weak_ptr<const PolicyGeneration> generation;
    std::uint64_t hooksVersion = std::numeric_limits<std::uint64_t>::max();
    std::unordered_map<std::string, FailMode> failModes;
    std::unique_ptr<LuaSandbox> sandbox;
    std::string buildError;
};

PolicyEngine::PolicyEngine(std::string scriptsDir, PolicyLimits limits,
                           std::map<std::string, std::string> settings,
                           std::shared_ptr<PolicyEffects> effects)
    : _id(nextEngineId++), _scriptsDir(std::move(scriptsDir)), _limits(limits),
      _settings(std::move(settings)), _effects(std::move(effects)), _logger(Poco::Logger::get("policy")),
      _generation(std::make_shared<const PolicyGeneration>())
{
}

void PolicyEngine::declareHook(const HookSpec& spec)
{
    if (!isHookName(spec.name))
        throw std::invalid_argument("invalid policy hook name '" + spec.name +
                                    "' (use a-z, 0-9, _, . and -)");
    std::lock_guard lock(_stateMutex);
    const auto [found, inserted] = _hooks.emplace(spec.name, spec);
    if (!inserted) {
        if (found->second.failMode != spec.failMode)
            throw std::invalid_argument("policy hook '" + spec.name +
                                        "' is already declared with another fail mode");
        // The kernel declares the shipped hooks; the module that calls one knows its shapes.
        if (!spec.subjectExample.empty())
            found->second.subjectExample = spec.subjectExample;
        if (!spec.requestExample.empty())
            found->second.requestExample = spec.requestExample;
        return;
    }
    _hooksVersion.fetch_add(1, std::memory_order_release);
}

std::vector<HookSpec> PolicyEngine::hooks() const
{
    std::lock_guard lock(_stateMutex);
    std::vector<HookSpec> specs;
    for (const auto& [name, spec] : _hooks)
        specs.push_back(spec);
    return specs;
}

std::shared_ptr<const PolicyGeneration> PolicyEngine::activeGeneration() const
{
    std::lock_guard lock(_stateMutex);
    return _generation;
}

PolicyEngine::ReloadRecord PolicyEngine::lastReload() const
{
    std::lock_guard lock(_stateMutex);
    return _lastReload;
}

PolicyEngine::ThreadStates& PolicyEngine::threadStates()
{
    static thread_local ThreadStates states;
    return states;
}

PolicyEngine::ThreadState& PolicyEngine::threadState()
{
    auto& states = threadStates();
    const auto found = states.find(_id);
    if (found != states.end())
        return *found->second;
    return *states.emplace(_id, std::make_unique<ThreadState>()).first->second;
}

Verdict PolicyEngine::call(const std::string& hook, const Poco::Dynamic::Var& subject,
                           const Poco::Dynamic::Var& request)
{
    ThreadState& state = threadState();
    if (!state.sandbox || state.generationId != _generationId.load(std::memory_order_acquire) ||
        state.hooksVersion != _hooksVersion.load(std::memory_order_acquire))
        refresh(state);

    const auto spec = state.failModes.find(hook);
    if (spec == state.failModes.end())
        throw std::logic_error("policy hook '" + hook + "' was never declared");

    Verdict verdict;
    if (state.sandbox) {
        verdict = state.sandbox->callHook(hook, subject, request);
        if (state.sandbox->exhausted())
            state.sandbox.reset();
    } else {
        verdict.failed = true;
        verdict.error = state.buildError;
    }
    if (verdict.failed)
        applyFailMode(verdict, spec->second, hook);
    return verdict;
}

void PolicyEngine::setEventRunner(EventRunner runner)
{
    _eventRunner = std::move(runner);
}

void PolicyEngine::raise(const std::string& event, const Poco::Dynamic::Var& subject,
                         const Poco::Dynamic::Var& fields)
{
    if (!_eventRunner)
        return;
    // Snapshots as JSON text: the caller may change its objects as soon as raise() returns.
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    if (!fields.isEmpty()) {
        if (fields.type() != typeid(Poco::JSON::Object::Ptr))
            throw std::invalid_argument("policy event fields must be a JSON object");
        for (const auto& [name, value] : *fields.extract<Poco::JSON::Object::Ptr>())
            request->set(name, value);
    }
    request->set("type", event);
    std::string requestText = toJsonText(request);
    std::string subjectText = subject.isEmpty() ? "{}" : toJsonText(subject);
    const bool queued = _eventRunner([this, subjectText = std::move(subjectText), requestText = std::move(requestText)] {
        const Verdict verdict = call("event", Poco::JSON::Parser().parse(subjectText),
                                     Poco::JSON::Parser().parse(requestText));
        if (verdict.failed)
            _logger.warning("the event hook failed: %s", verdict.error);
    });
    if (!queued)
        _eventsDropped.fetch_add(1, std::memory_order_relaxed);
}

void PolicyEngine::refresh(ThreadState& state)
{
    std::shared_ptr<const PolicyGeneration> generation;
    {
        std::lock_guard lock(_stateMutex);
        generation = _generation;
        const auto version = _hooksVersion.load(std::memory_order_acquire);
        if (state.hooksVersion != version) {
            state.failModes.clear();
            for (const auto& [name, spec] : _hooks)
                state.failModes.emplace(name, spec.failMode);
            state.hooksVersion = version;
        }
    }

    if (!state.sandbox || state.generationId != generation->id()) {
        state.sandbox.reset();
        state.generationId = generation->id();
        state.generation = generation;
        state.buildError.clear();
        try {
            auto sandbox = std::make_unique<LuaSandbox>(_limits, _settings, generation->hookNames(),
                                                        generation->libraries(), _effects);
            for (const auto& script : generation->scripts()) {
                const std::string error = sandbox->loadScript(script.name, script.source);
                if (!error.empty()) {
                    // Validated once already, so only a limit (or a script that behaves
                    // differently per run) gets here; the next call tries again.
                    state.buildError = error;
                    return;
                }
            }
            state.sandbox = std::move(sandbox);
        } catch (const std::exception& e) {
            state.buildError = std::string("cannot build the policy state: ") + e.what();
            return;
        }
    }

    auto& states = threadStates();
    for (auto it = states.begin(); it != states.end();) {
        if (it->first != _id && it->second->generation.expired())
            it = states.erase(it);
        else
            ++it;
    }
}

void PolicyEngine::applyFailMode(Verdict& verdict, FailMode mode, const std::string& hook)
{
    verdict.value.clear();
    if (mode == FailMode::Closed) {
        verdict.decision = Verdict::Decision::Deny;
        verdict.reason = "policy error";
    } else {
        verdict.decision = Verdict::Decision::Allow;
        verdict.reason.clear();
    }
    _logger.warning("policy hook '%s' failed (%s): %s", hook,
                    std::string(mode == FailMode::Closed ? "denied" : "allowed"), verdict.error);
}

std::shared_ptr<const PolicyGeneration> PolicyEngine::compile(std::uint64_t id,
                                                              Report& report) const
{
    std::set<std::string> hookNames;
    {
        std::lock_guard lock(_stateMutex);
        for (const auto& [name, spec] : _hooks)
            hookNames.insert(name);
    }
    auto generation = std::make_shared<const PolicyGeneration>(id, _scriptsDir, hookNames);
    report.errors = generation->readErrors();
    try {
        LuaSandbox sandbox(_limits, _settings, generation->hookNames(), generation->libraries());
        for (const auto& [name, source] : *generation->libraries()) {
            const std::string error = sandbox.compile("lib/" + name + ".lua", source);
            if (!error.empty())
                report.errors.push_back(error);
        }
        for (const auto& script : generation->scripts()) {
            const std::string error = sandbox.loadScript(script.name, script.source);
            if (!error.empty())
                report.errors.push_back(error);
        }
        report.handlers = sandbox.handlerCounts();
    } catch (const std::exception& e) {
        report.errors.push_back(std::string("cannot create a Lua state: ") + e.what());
    }
    return generation;
}

PolicyEngine::Report PolicyEngine::reloadLocked()
{
    Report report;
    const auto generation = compile(nextGenerationId++, report);
    _lastSeenStamps = generation->stamps();
    {
        std::lock_guard lock(_stateMutex);
        _lastReload.at = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        _lastReload.swapped = report.ok();
        _lastReload.errors = report.errors;
        if (report.ok())
            _lastReload.activeHandlers = report.handlers;
    }
    if (!report.ok()) {
        report.generation = this->generation();
        std::string message = "policy scripts in " + _scriptsDir + " have errors; generation " +
                              std::to_string(report.generation) + " stays active:";
        for (const auto& error : report.errors)
            message += "\n  " + error;
        _logger.error(message);
        return report;
    }
    {
        std::lock_guard lock(_stateMutex);
        _generation = generation;
        _generationId.store(generation->id(), std::memory_order_release);
    }
    report.swapped = true;
    report.generation = generation->id();
    _logger.information("policy generation %s active: %z scripts from %s, handlers: %s",
                        std::to_string(generation->id()), generation->scripts().size(), _scriptsDir,
                        describeHandlers(report.handlers));
    return report;
}

void PolicyEngine::load()
{
    const Report report = reload();
    if (report.ok())
        return;
    std::string message = "policy scripts failed to load:";
    for (const auto& error : report.errors)
        message += "\n" + error;
    throw Poco::RuntimeException(message);
}

PolicyEngine::Report PolicyEngine::reload()
{
    std::lock_guard lock(_reloadMutex);
    return reloadLocked();
}

PolicyEngine::Report PolicyEngine::check() const
{
    Report report;
    compile(0, report);
    report.generation = generation();
    return report;
}

PolicyEngine::Report PolicyEngine::reloadIfChanged()
{
    std::lock_guard lock(_reloadMutex);
    const auto stamps = PolicyGeneration::stamp(_scriptsDir);
    if (stamps != _lastSeenStamps) {
        std::shared_ptr<const PolicyGeneration> active;
        {
            std::lock_guard stateLock(_stateMutex);
            active = _generation;
        }
        if (!active->sameSources(_scriptsDir))
            return reloadLocked();
        _lastSeenStamps = stamps;
    }
    Report report;
    report.changed = false;
    report.generation = generation();
    return report;
}

} // namespace comfygate
