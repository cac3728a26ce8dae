#pragma once

#include "ChangeNotifier.h"
#include "UserFileStore.h"
#include "comfygate/Principal.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::userdata {

/// A write refused by the workflow rules: 403 `{"error":"WORKFLOW_DENIED","message"}`.
class WorkflowDenied : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Content refused before it is stored (invalid JSON, settings that are not an object): 400.
class InvalidContent : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// A file as a user sees it: their own, or a global workflow.
struct VisibleFile
{
    StoredFileInfo info;
    bool global = false;
    bool overridesGlobal = false; ///< the user's own file hides a global one of the same path
};

/// The rules between a user and the store: a user's own files plus the global workflows
/// (below `workflows/`), the user's own winning on a clash; writes need
/// `can_modify_workflows`, changing a global workflow `can_manage_global_workflows`; JSON is
/// validated before it is stored; every change is announced (ChangeNotifier).
class WorkflowLibrary
{
public:
    static constexpr const char* modifyPermission = "can_modify_workflows";
    static constexpr const char* manageGlobalPermission = "can_manage_global_workflows";
    static constexpr const char* workflowDirectory = "workflows";
    static constexpr const char* settingsFile = "comfy.settings.json";

    WorkflowLibrary(UserFileStore& store, ChangeNotifier& notifier) : _store(store), _notifier(notifier) {}

    UserFileStore& store() { return _store; }

    static bool isWorkflow(const std::string& path);
    /// Throws InvalidContent when `content` does not suit `path` (.json must parse; the
    /// settings file must be an object).
    static void validate(const std::string& path, const std::string& content);

    /// Files below `directory` ("" = all) the principal sees, merged, ordered by path.
    std::vector<VisibleFile> list(const Principal& principal, const std::string& directory, bool recurse);

    struct Loaded
    {
        std::string content;
        bool global = false;
    };
    /// The user's own file, else the global workflow of that path.
    std::optional<Loaded> load(const Principal& principal, const std::string& path);
    std::optional<VisibleFile> info(const Principal& principal, const std::string& path);

    /// Always writes the user's own file. Throws WorkflowDenied, InvalidContent, QuotaExceeded.
    UserFileStore::WriteResult save(const Principal& principal, const std::string& path, const std::string& content,
                                    bool overwrite);
    /// The user's own file, else (with the permission) the global one. False when neither exists.
    bool remove(const Principal& principal, const std::string& path);
    /// Moves the user's own file, else (with the permission) a global workflow within the global set.
    UserFileStore::MoveResult move(const Principal& principal, const std::string& from, const std::string& to,
                                   bool overwrite);

    enum class PromoteResult
    {
        Promoted,
        SourceMissing,
        GlobalExists,
        NameConflict ///< the global set has a folder of that name, or a file where its folder would be
    };
    /// Copies `userId`'s workflow to the global set (same path); with `deleteSource` the user's
    /// copy goes. The caller has checked `can_manage_global_workflows`.
    PromoteResult promote(const std::string& userId, const std::string& path, bool deleteSource, bool overwrite,
                          const std::string& actor);

    /// The owner whose versions of `path` a principal reaches: their own, or the global set
    /// when `global` (needs the manage permission: WorkflowDenied).
    std::string versionOwner(const Principal& principal, bool global) const;
    /// Restores a version as the current content (the current one becomes a version).
    bool restore(const Principal& principal, const std::string& owner, const std::string& path,
                 std::int64_t versionId);

private:
    static void requireModify(const Principal& principal);
    static void requireManageGlobal(const Principal& principal, const std::string& path);

    UserFileStore& _store;
    ChangeNotifier& _notifier;
};

} // namespace comfygate::userdata
