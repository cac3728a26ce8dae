#include "Fault.h"

#include <stdexcept>
#include <type_traits>
#include <vector>

namespace comfygate::fakes {

namespace {

/// One place that knows every field and its JSON key; `other` is the same field of a second fault.
template <typename Visitor> void forEachField(Fault& fault, const Fault& other, Visitor&& visit)
{
    visit("fail_first_n", fault.failFirstN, other.failFirstN);
    visit("fail_status", fault.failStatus, other.failStatus);
    visit("retry_after", fault.retryAfter, other.retryAfter);
    visit("ratelimit_reset", fault.ratelimitReset, other.ratelimitReset);
    visit("truncate_after", fault.truncateAfter, other.truncateAfter);
    visit("stall_after", fault.stallAfter, other.stallAfter);
    visit("stall_ms", fault.stallMs, other.stallMs);
    visit("throttle_bps", fault.throttleBps, other.throttleBps);
    visit("ignore_range", fault.ignoreRange, other.ignoreRange);
    visit("bad_content_length", fault.badContentLength, other.badContentLength);
    visit("corrupt_at", fault.corruptAt, other.corruptAt);
    visit("expire_after_s", fault.expireAfterS, other.expireAfterS);
    visit("html_for_browser_ua", fault.htmlForBrowserUa, other.htmlForBrowserUa);
    visit("require_ua", fault.requireUa, other.requireUa);
}

template <typename T> T readValue(const Poco::Dynamic::Var& value, const std::string& key)
{
    if constexpr (std::is_same_v<T, bool>) {
        if (!value.isBoolean())
            throw std::invalid_argument(key + " must be a boolean");
        return value.extract<bool>();
    } else if constexpr (std::is_same_v<T, double>) {
        if (!value.isNumeric())
            throw std::invalid_argument(key + " must be a number");
        return value.convert<double>();
    } else {
        if (!value.isInteger() || value.convert<Poco::Int64>() < 0)
            throw std::invalid_argument(key + " must be a non-negative integer");
        return static_cast<T>(value.convert<Poco::Int64>());
    }
}

std::vector<std::string> targetsBySpecificity(const std::string& service, const std::string& route,
                                              const std::string& fileKey)
{
    std::vector<std::string> targets;
    if (!fileKey.empty())
        targets.push_back(fileKey);
    if (!route.empty())
        targets.push_back(route);
    targets.push_back(service);
    targets.push_back("*");
    return targets;
}

} // namespace

Fault Fault::fromJson(const Poco::JSON::Object& json)
{
    Fault fault;
    forEachField(fault, fault, [&](const char* key, auto& field, const auto&) {
        if (!json.has(key))
            return;
        using T = typename std::remove_reference_t<decltype(field)>::value_type;
        field = readValue<T>(json.get(key), key);
    });
    for (const auto& name : json.getNames())
        if (name != "target" && name != "clear" && name != "clear_all") {
            bool isField = false;
            forEachField(fault, fault, [&](const char* key, auto&, const auto&) { isField = isField || name == key; });
            if (!isField)
                throw std::invalid_argument("unknown fault field: " + name);
        }
    return fault;
}

Poco::JSON::Object::Ptr Fault::toJson() const
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Fault copy = *this;
    forEachField(copy, copy, [&](const char* key, auto& field, const auto&) {
        if (field)
            json->set(key, *field);
    });
    return json;
}

Fault Fault::overriddenBy(const Fault& specific) const
{
    Fault merged = *this;
    forEachField(merged, specific, [](const char*, auto& field, const auto& specificField) {
        if (specificField)
            field = specificField;
    });
    return merged;
}

void FaultTable::set(const std::string& target, const Fault& fault)
{
    std::lock_guard lock(_mutex);
    _faults[target] = fault;
    if (fault.failFirstN)
        _failuresLeft[target] = *fault.failFirstN;
    else
        _failuresLeft.erase(target);
}

void FaultTable::clear(const std::string& target)
{
    std::lock_guard lock(_mutex);
    _faults.erase(target);
    _failuresLeft.erase(target);
}

void FaultTable::clearAll()
{
    std::lock_guard lock(_mutex);
    _faults.clear();
    _failuresLeft.clear();
}

Fault FaultTable::effective(const std::string& service, const std::string& route, const std::string& fileKey) const
{
    std::lock_guard lock(_mutex);
    Fault merged;
    const auto targets = targetsBySpecificity(service, route, fileKey);
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
        const auto found = _faults.find(*it);
        if (found != _faults.end())
            merged = merged.overriddenBy(found->second);
    }
    return merged;
}

std::optional<Fault> FaultTable::takeFailure(const std::string& service, const std::string& route,
                                             const std::string& fileKey)
{
    std::lock_guard lock(_mutex);
    for (const auto& target : targetsBySpecificity(service, route, fileKey)) {
        const auto left = _failuresLeft.find(target);
        if (left == _failuresLeft.end() || left->second <= 0)
            continue;
        --left->second;
        return _faults.at(target);
    }
    return std::nullopt;
}

Poco::JSON::Object::Ptr FaultTable::toJson() const
{
    std::lock_guard lock(_mutex);
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [target, fault] : _faults) {
        auto entry = fault.toJson();
        const auto left = _failuresLeft.find(target);
        if (left != _failuresLeft.end())
            entry->set("failures_left", left->second);
        json->set(target, entry);
    }
    return json;
}

} // namespace comfygate::fakes
