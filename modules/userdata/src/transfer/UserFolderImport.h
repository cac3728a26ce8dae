#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace comfygate::userdata {

class UserFileStore;

/// What happened to one file of an imported folder.
struct ImportOutcome
{
    enum class Kind
    {
        Imported,
        Skipped, ///< left out on purpose: exists (no --overwrite), hidden, not a workflow with --global
        Refused  ///< left out because it is not acceptable: bad name, too large, bad JSON, quota, symlink out
    };
    Kind kind = Kind::Imported;
    std::string path; ///< relative to the folder, '/'-separated
    std::int64_t size = 0;
    std::string reason; ///< why it was skipped or refused
};

/// Reads a ComfyUI user folder (`ComfyUI/user/default/`: workflows/**, comfy.settings.json,
/// comfy.templates.json, user.css, ...) into one owner's files in the store, each file checked
/// as an upload is: confined name (UserDataName), the per-file limit, valid JSON for `.json`
/// (an object for the settings file) and the owner's quota. Hidden files and folders (a name
/// starting with '.') are skipped; a symlink is read only when it resolves to a regular file
/// inside the folder, never followed out of it, and symlinked folders are not descended.
class UserFolderImport
{
public:
    struct Options
    {
        std::filesystem::path from;
        std::string owner;
        bool workflowsOnly = false; ///< --global: only workflows/**
        bool overwrite = false;
        std::string actor = "cli";
    };

    explicit UserFolderImport(UserFileStore& store) : _store(store) {}

    /// Imports every file below `options.from` in path order, reporting each as it is done.
    /// Throws std::runtime_error when the folder itself cannot be read.
    std::vector<ImportOutcome> run(const Options& options,
                                   const std::function<void(const ImportOutcome&)>& report = {});

    /// "512 B", "1.2 KiB", "3.4 MiB"
    static std::string formatSize(std::int64_t bytes);

private:
    struct Candidate
    {
        std::string name;
        std::filesystem::path source; ///< the file to read (a symlink's resolved target)
        std::string refusal;          ///< set when the entry is refused before reading
        bool hidden = false;
    };

    std::vector<Candidate> collect(const std::filesystem::path& root) const;
    ImportOutcome importOne(const Candidate& candidate, const Options& options);

    UserFileStore& _store;
};

} // namespace comfygate::userdata
