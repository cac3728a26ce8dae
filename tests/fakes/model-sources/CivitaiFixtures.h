#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::fakes {

/// A CivitAI model (`GET /api/v1/models/{id}`).
struct CivitaiModel
{
    CivitaiModel() = default;
    CivitaiModel(int id, std::string name, std::string type = "Checkpoint", std::string mode = {})
        : id(id), name(std::move(name)), type(std::move(type)), mode(std::move(mode))
    {
    }

    int id = 0;
    std::string name;
    std::string type = "Checkpoint"; ///< Checkpoint, LORA, TextualInversion, VAE, ...
    bool nsfw = false;
    bool poi = false;
    std::string mode; ///< "" | "Archived" | "TakenDown"
    std::string creator = "fake-creator";
    std::vector<std::string> tags;
    std::string description;
};

/// One file of a version; the bytes come from the fixture file `fileKey`.
struct CivitaiFile
{
    CivitaiFile() = default;
    CivitaiFile(int id, std::string fileKey, std::string type = "Model", std::string format = "SafeTensor",
                std::string size = "pruned", std::string fp = "fp16", std::string name = {})
        : id(id), fileKey(std::move(fileKey)), type(std::move(type)), format(std::move(format)), size(std::move(size)),
          fp(std::move(fp)), name(std::move(name))
    {
    }

    int id = 0;
    std::string fileKey;
    std::string type = "Model";        ///< Model, Pruned Model, VAE, Training Data, Config, ...
    std::string format = "SafeTensor"; ///< SafeTensor, PickleTensor, GGUF, Diffusers, ...
    std::string size = "pruned";       ///< full | pruned
    std::string fp = "fp16";
    std::string name; ///< overrides the fixture file's name when set
};

/// A CivitAI model version (`GET /api/v1/model-versions/{id}`) and its download rules.
struct CivitaiVersion
{
    int id = 0;
    int modelId = 0;
    std::string name = "v1.0";
    std::string baseModel = "SD 1.5";
    std::string status = "Published";
    std::string availability = "Public";   ///< Public | Unsearchable | Private | EarlyAccess
    std::string usageControl = "Download"; ///< anything else is generation-only
    bool requireAuth = false;              ///< the creator requires a signed-in download
    std::string earlyAccessEndsAt{};       ///< ISO time; early access while in the future
    std::string publishedAt = "2026-01-01T00:00:00.000Z";
    std::vector<std::string> trainedWords{};
    std::vector<CivitaiFile> files{};
};

/// An image with generation data (`/api/v1/images`, tRPC `image.getGenerationData`).
struct CivitaiImage
{
    int id = 0;
    int postId = 0;
    int modelVersionId = 0; ///< the main resource; also listed in `resources`
    std::string username = "fake-creator";
    std::string prompt;
    std::string negativePrompt;
    int steps = 20;
    std::string sampler = "Euler a";
    double cfgScale = 7;
    long long seed = 1;
    int clipSkip = 1;
    bool hideMeta = false; ///< the poster hid the metadata: no `meta`
    std::string process = "txt2img";
    struct Resource
    {
        int modelVersionId = 0;
        std::optional<double> strength; ///< LoRA-like resources
    };
    std::vector<Resource> resources; ///< resolved resources (versions must exist)

    // ---- for the civitai-catalog image route ----
    std::string type = "image"; ///< image | video
    std::string url;            ///< image file URL in /api/v1/images; empty: `<storage>/images/{id}.jpeg`
    std::string workflow;       ///< meta.workflow when set (e.g. "img2vid")
    /// A1111-style meta.resources entries `{name, type, hash, weight}`.
    struct MetaResource
    {
        std::string name;
        std::string type; ///< lora, embed, model, ...
        std::string hash; ///< any CivitAI hash form (AutoV2, SHA256)
        std::optional<double> weight;
    };
    std::vector<MetaResource> metaResources;
    std::vector<std::string> techniques; ///< technique names (`techniques[{id, name, notes}]`)
    std::vector<std::string> tools;      ///< tool names (`tools[{id, name}]`)
};

} // namespace comfygate::fakes
