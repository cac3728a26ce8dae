#include "ModelFolders.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace comfygate::fakes {

ModelFolders::ModelFolders(std::string modelsDir) : _modelsDir(std::move(modelsDir))
{
    const std::vector<std::string> pt = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"};
    _folders = {
        {"checkpoints", {"checkpoints"}, pt},
        {"configs", {"configs"}, {".yaml"}},
        {"loras", {"loras"}, pt},
        {"vae", {"vae"}, pt},
        {"text_encoders", {"text_encoders", "clip"}, pt},
        {"diffusion_models", {"unet", "diffusion_models"}, pt},
        {"clip_vision", {"clip_vision"}, pt},
        {"style_models", {"style_models"}, pt},
        {"embeddings", {"embeddings"}, pt},
        {"diffusers", {"diffusers"}, {"folder"}},
        {"vae_approx", {"vae_approx"}, pt},
        {"controlnet", {"controlnet", "t2i_adapter"}, pt},
        {"gligen", {"gligen"}, pt},
        {"upscale_models", {"upscale_models"}, pt},
        {"latent_upscale_models", {"latent_upscale_models"}, pt},
        {"custom_nodes", {"../custom_nodes"}, {}},
        {"hypernetworks", {"hypernetworks"}, pt},
        {"photomaker", {"photomaker"}, pt},
        {"classifiers", {"classifiers"}, {""}},
        {"model_patches", {"model_patches"}, pt},
        {"audio_encoders", {"audio_encoders"}, pt},
    };
}

std::vector<std::string> ModelFolders::keys() const
{
    std::vector<std::string> out;
    for (const auto& folder : _folders) out.push_back(folder.key);
    return out;
}

const ModelFolders::Folder* ModelFolders::find(const std::string& key) const
{
    const std::string mapped = key == "unet" ? "diffusion_models" : key == "clip" ? "text_encoders" : key;
    for (const auto& folder : _folders)
        if (folder.key == mapped) return &folder;
    return nullptr;
}

bool ModelFolders::known(const std::string& key) const
{
    return find(key) != nullptr;
}

std::string ModelFolders::primaryDirectory(const std::string& key) const
{
    const Folder* folder = find(key);
    if (!folder) return _modelsDir + "/" + key;
    return _modelsDir + "/" + folder->directories.front();
}

void ModelFolders::createDirectories() const
{
    for (const auto& folder : _folders)
        for (const auto& dir : folder.directories) fs::create_directories(_modelsDir + "/" + dir);
}

std::vector<std::string> ModelFolders::list(const std::string& key) const
{
    std::vector<std::string> out;
    const Folder* folder = find(key);
    if (!folder) return out;
    for (const auto& dir : folder->directories) {
        const fs::path base = fs::path(_modelsDir) / dir;
        std::error_code ec;
        if (!fs::is_directory(base, ec)) continue;
        for (auto it = fs::recursive_directory_iterator(base, fs::directory_options::follow_directory_symlink, ec);
             it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) break;
            if (!it->is_regular_file()) continue;
            std::string extension = it->path().extension().string();
            std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
            const auto& allowed = folder->extensions;
            if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), extension) == allowed.end())
                continue;
            const std::string relative = fs::relative(it->path(), base).generic_string();
            if (std::find(out.begin(), out.end(), relative) == out.end()) out.push_back(relative);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace comfygate::fakes
