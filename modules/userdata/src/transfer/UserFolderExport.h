#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace comfygate::userdata {

class UserFileStore;

/// What happened to one file of an export.
struct ExportOutcome
{
    std::string path; ///< relative to the folder, '/'-separated
    std::int64_t size = 0;
    std::string error; ///< empty when written
};

/// Writes one owner's files (or the global workflows) into a folder ComfyUI reads as a user
/// folder: each file atomically (a temporary file in the same directory, fsync, rename over
/// the old one, fsync of the directory), mode 0644, directories created as needed (0755).
/// Never writes through a symlink inside the folder, nor a name UserDataName refuses.
class UserFolderExport
{
public:
    explicit UserFolderExport(UserFileStore& store) : _store(store) {}

    /// Throws std::runtime_error when `to` exists and is not a directory or cannot be created.
    /// Exports the owner's files below `directory` ("" = all of them).
    std::vector<ExportOutcome> run(const std::string& owner, const std::string& directory,
                                   const std::filesystem::path& to,
                                   const std::function<void(const ExportOutcome&)>& report = {});

    /// Writes `content` to `path` atomically with mode 0644 (throws std::runtime_error).
    static void writeAtomically(const std::filesystem::path& path, const std::string& content);

private:
    UserFileStore& _store;
};

} // namespace comfygate::userdata
