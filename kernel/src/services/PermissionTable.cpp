#include "PermissionTable.h"

#include "PolicyEngine.h"
#include "comfygate/Principal.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace comfygate {

bool PermissionTable::isValidId(const std::string& id)
{
    if (id.empty() || id.size() > 64 || !std::islower(static_cast<unsigned char>(id[0])))
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
}

void PermissionTable::declare(const PermissionSpec& spec)
{
    if (!isValidId(spec.id))
        throw std::invalid_argument("permission id '" + spec.id + "' must match [a-z][a-z0-9_]{0,63}");
    for (const auto& role : spec.defaultRoles) {
        if (std::find(knownRoles().begin(), knownRoles().end(), role) == knownRoles().end())
            throw std::invalid_argument("permission " + spec.id + ": unknown default role '" + role + "'");
    }
    std::lock_guard lock(_mutex);
    _declared.emplace(spec.id, spec); // a second declaration of a shared id keeps the first
    ++_changes;
}

void PermissionTable::setPolicy(PolicyEngine* policy)
{
    std::lock_guard lock(_mutex);
    _policy = policy;
    ++_changes;
}

PermissionTable::Generation PermissionTable::generation() const
{
    return {_changes.load(std::memory_order_acquire), _policy ? _policy->generation() : 0};
}

bool PermissionTable::isDeclared(const std::string& id) const
{
    std::lock_guard lock(_mutex);
    return _declared.count(id) != 0;
}

std::vector<PermissionSpec> PermissionTable::all() const
{
    std::lock_guard lock(_mutex);
    std::vector<PermissionSpec> out;
    for (const auto& [id, spec] : _declared)
        out.push_back(spec);
    return out;
}

void PermissionTable::loadGroups(const std::string& jsonText, const std::string& source)
{
    std::map<std::string, std::map<std::string, bool>> groups;
    Poco::JSON::Object::Ptr root;
    try {
        root = Poco::JSON::Parser().parse(jsonText).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument(source + " is not a JSON object: " + e.displayText());
    } catch (const std::exception&) {
        throw std::invalid_argument(source + " must be a JSON object of roles");
    }
    for (const auto& [group, flagsVar] : *root) {
        if (flagsVar.type() != typeid(Poco::JSON::Object::Ptr))
            throw std::invalid_argument(source + ": \"" + group + "\" must be an object of permission flags");
        auto& flags = groups[group];
        for (const auto& [id, value] : *flagsVar.extract<Poco::JSON::Object::Ptr>()) {
            if (!value.isBoolean())
                throw std::invalid_argument(source + ": " + group + "." + id + " must be true or false");
            flags[id] = value.convert<bool>();
        }
    }
    std::lock_guard lock(_mutex);
    _groups = std::move(groups);
    ++_changes;
}

void PermissionTable::setGroups(const std::string& jsonText)
{
    PermissionTable candidate;
    candidate.loadGroups(jsonText, "the groups table");
    for (const auto& id : candidate.unknownIds()) {
        const std::string permission = id.substr(id.find('.') + 1);
        if (!isDeclared(permission))
            throw std::invalid_argument("unknown permission " + id);
    }
    std::lock_guard lock(_mutex);
    _groups = std::move(candidate._groups);
    ++_changes;
}

std::vector<std::string> PermissionTable::unknownIds() const
{
    std::lock_guard lock(_mutex);
    std::set<std::string> unknown;
    for (const auto& [group, flags] : _groups) {
        for (const auto& [id, value] : flags) {
            if (!_declared.count(id))
                unknown.insert(group + "." + id);
        }
    }
    return {unknown.begin(), unknown.end()};
}

bool PermissionTable::grants(const std::string& group, const PermissionSpec& spec) const
{
    const auto g = _groups.find(group);
    if (g != _groups.end()) {
        const auto flag = g->second.find(spec.id);
        if (flag != g->second.end())
            return flag->second;
    }
    return std::find(spec.defaultRoles.begin(), spec.defaultRoles.end(), group) != spec.defaultRoles.end();
}

std::set<std::string> PermissionTable::effective(const std::string& username, const std::string& role,
                                                 const std::vector<std::string>& groups) const
{
    if (_effectiveCache.capacity() == 0) {
        bool memoisable = false;
        return compute(username, role, groups, memoisable);
    }
    std::string key = username;
    key += '\n'; // not in usernames, roles or group names
    key += role;
    for (const auto& group : groups) {
        key += '\n';
        key += group;
    }
    const Generation before = generation();
    if (auto known = _effectiveCache.find(key, before))
        return std::move(*known);
    bool memoisable = true;
    std::set<std::string> result = compute(username, role, groups, memoisable);
    if (memoisable)
        _effectiveCache.remember(key, result, before, generation());
    return result;
}

std::set<std::string> PermissionTable::compute(const std::string& username, const std::string& role,
                                               const std::vector<std::string>& groups, bool& memoisable) const
{
    std::set<std::string> result;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [id, spec] : _declared) {
            if (role == "owner" || grants(role, spec) ||
                std::any_of(groups.begin(), groups.end(), [&](const std::string& g) { return grants(g, spec); }))
                result.insert(id);
        }
        if (role == "owner" || !_policy)
            return result;
    }

    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("username", username);
    subject->set("role", role);
    Poco::JSON::Array::Ptr groupList = new Poco::JSON::Array;
    for (const auto& g : groups)
        groupList->add(g);
    subject->set("groups", groupList);
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr permissions = new Poco::JSON::Array;
    for (const auto& id : result)
        permissions->add(id);
    request->set("permissions", permissions);

    const Verdict verdict = _policy->call("groups", subject, request);
    memoisable = !verdict.failed;
    if (verdict.decision != Verdict::Decision::Modify || verdict.failed)
        return result;
    try {
        const auto changed = verdict.value.extract<Poco::JSON::Object::Ptr>();
        const auto list = changed->getArray("permissions");
        if (!list)
            return result;
        std::set<std::string> adjusted;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string id = list->getElement<std::string>(static_cast<unsigned>(i));
            if (isDeclared(id)) // the hook can only hand out permissions that exist
                adjusted.insert(id);
        }
        return adjusted;
    } catch (const std::exception&) {
        return result;
    }
}

std::string PermissionTable::groupsJson() const
{
    std::lock_guard lock(_mutex);
    Poco::JSON::Object root;
    for (const auto& role : knownRoles()) {
        Poco::JSON::Object::Ptr flags = new Poco::JSON::Object;
        for (const auto& [id, spec] : _declared)
            flags->set(id, role == "owner" || grants(role, spec));
        root.set(role, flags);
    }
    std::ostringstream out;
    root.stringify(out);
    return out.str();
}

} // namespace comfygate
