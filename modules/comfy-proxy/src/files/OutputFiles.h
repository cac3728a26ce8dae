#pragma once

#include "FileRef.h"
#include "UpstreamHosts.h"
#include "UserScope.h"

#include "comfygate/Database.h"
#include "comfygate/Principal.h"

#include <mutex>
#include <string>

namespace comfygate::comfyproxy {

/// Which of ComfyUI's files a user may read: the ownership rule behind /view, the mask
/// editor's `original_ref` and file names in workflows.
///
/// - input: only the user's own upload folder `input/<user id>/...` (uploads are forced there).
/// - output: the user's output folder `output/<user id>/...` (PromptRoutes moves every
///   filename_prefix there), or a file listed in the outputs of one of the user's prompts.
/// - temp: a file listed in the outputs of one of the user's prompts (previews, which ComfyUI
///   writes to the shared temp root), or the user's folder `temp/<user id>/...` (uploads with
///   type temp).
///
/// Prompt outputs are learnt from ComfyUI's `/history/{prompt_id}` of the user's prompts (as
/// recorded by PromptOwners in `comfy_prompts`) and
/// remembered in `comfy_prompt_files`; a finished prompt is asked about only once
/// (`comfy_scanned_prompts`), each from the ComfyUI host the prompt was sent to. Users who see
/// everyone (UserScope) may read every file.
class OutputFiles
{
public:
    OutputFiles(Database& database, UpstreamHosts& hosts, bool separateUsers)
        : _database(database), _hosts(hosts), _scope(separateUsers)
    {
    }

    /// May this user read the file? Asks ComfyUI about the user's not yet scanned prompts
    /// when the cheap rules do not decide.
    bool mayRead(const Principal& user, const FileRef& file);

    /// Remembers that a prompt of this user produced the file (e.g. from an `executed` event).
    void record(const std::string& userId, const std::string& promptId, const FileRef& file);

    /// The ComfyUI host that wrote the file (comfy.upstreams): the host of the prompt whose
    /// outputs list it, after asking the hosts about `userId`'s unscanned prompts when none
    /// does yet; nullptr when no recorded prompt lists it.
    UpstreamHost* hostOf(const std::string& userId, const FileRef& file);

    /// The file is inside the user's own folder of its type (`<type>/<user id>/...`).
    static bool inOwnFolder(const Principal& user, const FileRef& file)
    {
        return !user.userId.empty() && file.topFolder() == user.userId;
    }

private:
    bool recorded(const std::string& userId, const FileRef& file);
    /// Reads the history of the user's finished prompts not yet scanned and records their files.
    void scanPrompts(const std::string& userId);

    Database& _database;
    UpstreamHost* recordedHostOf(const FileRef& file);

    UpstreamHosts& _hosts;
    UserScope _scope;
    std::mutex _scanMutex; ///< one scan at a time, so concurrent /view calls do not ask twice
};

} // namespace comfygate::comfyproxy
