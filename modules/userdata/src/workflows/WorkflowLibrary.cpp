#include "WorkflowLibrary.h"

#include "JsonText.h"
#include "UserDataName.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <map>

namespace comfygate::userdata {

bool WorkflowLibrary::isWorkflow(const std::string& path)
{
    return UserDataName::isBelow(path, workflowDirectory);
}

void WorkflowLibrary::validate(const std::string& path, const std::string& content)
{
    const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
    if (!json)
        return;
    Poco::Dynamic::Var parsed;
    try {
        parsed = JsonText::parse(content);
    } catch (const std::invalid_argument& e) {
        throw InvalidContent("Invalid JSON in " + path + ": " + e.what());
    }
    if (path == settingsFile && parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw InvalidContent(std::string(settingsFile) + " must hold a JSON object");
}

void WorkflowLibrary::requireModify(const Principal& principal)
{
    if (!principal.has(modifyPermission))
        throw WorkflowDenied("You do not have permission to modify workflows (can_modify_workflows); ask an "
                             "administrator for it");
}

void WorkflowLibrary::requireManageGlobal(const Principal& principal, const std::string& path)
{
    if (!principal.has(manageGlobalPermission))
        throw WorkflowDenied(path + " is a global workflow: only an administrator (can_manage_global_workflows) "
                                    "may change it; save your own copy instead");
}

std::vector<VisibleFile> WorkflowLibrary::list(const Principal& principal, const std::string& directory,
                                               bool recurse)
{
    std::map<std::string, VisibleFile> merged;
    for (auto& file : _store.list(UserFileStore::globalOwner, directory, recurse))
        if (isWorkflow(file.path))
            merged[file.path] = VisibleFile{file, true, false};
    for (auto& file : _store.list(principal.userId, directory, recurse)) {
        const bool hides = merged.count(file.path) != 0;
        merged[file.path] = VisibleFile{file, false, hides};
    }
    std::vector<VisibleFile> out;
    out.reserve(merged.size());
    for (auto& [path, file] : merged)
        out.push_back(std::move(file));
    return out;
}

std::optional<WorkflowLibrary::Loaded> WorkflowLibrary::load(const Principal& principal, const std::string& path)
{
    if (auto own = _store.read(principal.userId, path))
        return Loaded{std::move(*own), false};
    if (isWorkflow(path))
        if (auto global = _store.read(UserFileStore::globalOwner, path))
            return Loaded{std::move(*global), true};
    return std::nullopt;
}

std::optional<VisibleFile> WorkflowLibrary::info(const Principal& principal, const std::string& path)
{
    auto global = isWorkflow(path) ? _store.info(UserFileStore::globalOwner, path) : std::nullopt;
    if (auto own = _store.info(principal.userId, path))
        return VisibleFile{*own, false, global.has_value()};
    if (global)
        return VisibleFile{*global, true, false};
    return std::nullopt;
}

UserFileStore::WriteResult WorkflowLibrary::save(const Principal& principal, const std::string& path,
                                                 const std::string& content, bool overwrite)
{
    requireModify(principal);
    validate(path, content);
    const bool keepVersions = path != settingsFile;
    const auto result = _store.write(principal.userId, path, content, overwrite, principal.userId, keepVersions);
    if (result == UserFileStore::WriteResult::Created || result == UserFileStore::WriteResult::Replaced)
        _notifier.changed(principal.userId, "saved", path);
    return result;
}

bool WorkflowLibrary::remove(const Principal& principal, const std::string& path)
{
    requireModify(principal);
    if (_store.remove(principal.userId, path, principal.userId, path != settingsFile)) {
        _notifier.changed(principal.userId, "deleted", path);
        return true;
    }
    if (!isWorkflow(path) || !_store.info(UserFileStore::globalOwner, path))
        return false;
    requireManageGlobal(principal, path);
    if (!_store.remove(UserFileStore::globalOwner, path, principal.userId))
        return false;
    _notifier.changed(UserFileStore::globalOwner, "deleted", path);
    return true;
}

UserFileStore::MoveResult WorkflowLibrary::move(const Principal& principal, const std::string& from,
                                                const std::string& to, bool overwrite)
{
    requireModify(principal);
    std::string owner = principal.userId;
    if (!_store.info(owner, from)) {
        if (!isWorkflow(from) || !_store.info(UserFileStore::globalOwner, from))
            return UserFileStore::MoveResult::SourceMissing;
        requireManageGlobal(principal, from);
        if (!isWorkflow(to))
            throw WorkflowDenied("a global workflow can only move within " + std::string(workflowDirectory) + "/");
        owner = UserFileStore::globalOwner;
    }
    const auto result = _store.move(owner, from, to, overwrite, principal.userId);
    if (result == UserFileStore::MoveResult::Moved)
        _notifier.changed(owner, "moved", from, to);
    return result;
}

WorkflowLibrary::PromoteResult WorkflowLibrary::promote(const std::string& userId, const std::string& path,
                                                        bool deleteSource, bool overwrite, const std::string& actor)
{
    auto content = _store.read(userId, path);
    if (!content)
        return PromoteResult::SourceMissing;
    switch (_store.write(UserFileStore::globalOwner, path, *content, overwrite, actor)) {
    case UserFileStore::WriteResult::AlreadyExists:
        return PromoteResult::GlobalExists;
    case UserFileStore::WriteResult::NameConflict:
        return PromoteResult::NameConflict;
    case UserFileStore::WriteResult::Created:
    case UserFileStore::WriteResult::Replaced:
        break;
    }
    _notifier.changed(UserFileStore::globalOwner, "saved", path);
    if (deleteSource && _store.remove(userId, path, actor))
        _notifier.changed(userId, "deleted", path);
    return PromoteResult::Promoted;
}

std::string WorkflowLibrary::versionOwner(const Principal& principal, bool global) const
{
    if (!global)
        return principal.userId;
    if (!principal.has(manageGlobalPermission))
        throw WorkflowDenied("only an administrator (can_manage_global_workflows) may see the versions of a global "
                             "workflow");
    return UserFileStore::globalOwner;
}

bool WorkflowLibrary::restore(const Principal& principal, const std::string& owner, const std::string& path,
                              std::int64_t versionId)
{
    requireModify(principal);
    auto content = _store.versionContent(owner, path, versionId);
    if (!content)
        return false;
    if (_store.write(owner, path, *content, true, principal.userId, true) == UserFileStore::WriteResult::NameConflict)
        throw InvalidContent(path + " cannot be restored: a folder has that name now");
    _notifier.changed(owner, "saved", path);
    return true;
}

} // namespace comfygate::userdata
