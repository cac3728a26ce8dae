#pragma once

#include <string>
#include <vector>

namespace comfygate::fakes {

/// ComfyUI's model folder table (folder_paths.py): folder keys, their directories under
/// `<root>/models/` and the file extensions each key lists.
class ModelFolders
{
public:
    explicit ModelFolders(std::string modelsDir);

    /// Folder keys in ComfyUI's registration order (what GET /models answers).
    std::vector<std::string> keys() const;
    /// True for a key or a legacy alias (`unet`, `clip`).
    bool known(const std::string& key) const;
    /// Relative paths ("sub/file.safetensors") of the key's files, sorted, extension-filtered.
    std::vector<std::string> list(const std::string& key) const;
    /// Creates every default directory.
    void createDirectories() const;
    /// The first directory of a key (where addModel writes).
    std::string primaryDirectory(const std::string& key) const;

private:
    struct Folder
    {
        std::string key;
        std::vector<std::string> directories;
        std::vector<std::string> extensions; ///< empty: all files
    };
    const Folder* find(const std::string& key) const;

    std::string _modelsDir;
    std::vector<Folder> _folders;
};

} // namespace comfygate::fakes
