#include "NodeCatalog.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <filesystem>

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Array::Ptr strings(const std::vector<std::string>& values)
{
    Array::Ptr array = new Array;
    for (const auto& value : values) array->add(value);
    return array;
}

Array::Ptr input(const Poco::Dynamic::Var& type, Object::Ptr options = nullptr)
{
    Array::Ptr entry = new Array;
    entry->add(type);
    if (options) entry->add(options);
    return entry;
}

Object::Ptr intOptions(long long def, long long min, unsigned long long max, const std::string& tooltip, int step = 0)
{
    Object::Ptr options = ordered();
    options->set("default", def);
    options->set("min", min);
    options->set("max", max);
    if (step) options->set("step", step);
    options->set("tooltip", tooltip);
    return options;
}

Object::Ptr floatOptions(double def, double min, double max, double step, const std::string& tooltip)
{
    Object::Ptr options = ordered();
    options->set("default", def);
    options->set("min", min);
    options->set("max", max);
    options->set("step", step);
    options->set("round", 0.01);
    options->set("tooltip", tooltip);
    return options;
}

Object::Ptr tooltip(const std::string& text)
{
    Object::Ptr options = ordered();
    options->set("tooltip", text);
    return options;
}

struct NodeSpec
{
    std::string name;
    std::string displayName;
    std::string category;
    std::string description;
    Object::Ptr required;
    Object::Ptr optional;
    Object::Ptr hidden;
    std::vector<std::string> outputs;
    std::vector<std::string> outputNames;
    bool outputNode = false;
};

Object::Ptr toNodeInfo(const NodeSpec& spec)
{
    Object::Ptr inputs = ordered();
    Object::Ptr order = ordered();
    auto addSection = [&](const char* name, const Object::Ptr& section) {
        if (!section) return;
        inputs->set(name, section);
        Array::Ptr keys = new Array;
        for (const auto& key : section->getNames()) keys->add(key);
        order->set(name, keys);
    };
    addSection("required", spec.required ? spec.required : ordered());
    addSection("optional", spec.optional);
    addSection("hidden", spec.hidden);

    Object::Ptr info = ordered();
    info->set("input", inputs);
    info->set("input_order", order);
    info->set("output", strings(spec.outputs));
    Array::Ptr isList = new Array;
    for (std::size_t i = 0; i < spec.outputs.size(); ++i) isList->add(false);
    info->set("output_is_list", isList);
    info->set("output_name", strings(spec.outputNames.empty() ? spec.outputs : spec.outputNames));
    info->set("name", spec.name);
    info->set("display_name", spec.displayName);
    info->set("description", spec.description);
    info->set("python_module", "nodes");
    info->set("category", spec.category);
    info->set("output_node", spec.outputNode);
    return info;
}

} // namespace

NodeCatalog::NodeCatalog(const ModelFolders& models, std::string inputDir)
    : _models(models), _inputDir(std::move(inputDir))
{
}

const std::vector<std::string>& NodeCatalog::samplers()
{
    static const std::vector<std::string> names = {
        "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2",
        "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral",
        "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp",
        "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm",
        "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral",
        "res_multistep_ancestral_cfg_pp", "gradient_estimation", "er_sde", "seeds_2", "seeds_3", "ddim",
        "uni_pc", "uni_pc_bh2"};
    return names;
}

const std::vector<std::string>& NodeCatalog::schedulers()
{
    static const std::vector<std::string> names = {"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform",
                                                   "beta", "normal", "linear_quadratic", "kl_optimal"};
    return names;
}

std::vector<std::string> NodeCatalog::classNames() const
{
    return {"CheckpointLoaderSimple", "CLIPTextEncode", "KSampler", "EmptyLatentImage", "VAEDecode",
            "SaveImage", "PreviewImage", "LoadImage", "LoraLoader"};
}

bool NodeCatalog::knows(const std::string& className) const
{
    const auto names = classNames();
    return std::find(names.begin(), names.end(), className) != names.end();
}

Object::Ptr NodeCatalog::nodeInfo(const std::string& className) const
{
    NodeSpec spec;
    spec.name = className;
    if (className == "CheckpointLoaderSimple") {
        spec.displayName = "Load Checkpoint";
        spec.category = "loaders";
        spec.description = "Loads a diffusion model checkpoint, diffusion models are used to denoise latents.";
        spec.required = ordered();
        spec.required->set("ckpt_name", input(strings(_models.list("checkpoints")),
                                              tooltip("The name of the checkpoint (model) to load.")));
        spec.outputs = {"MODEL", "CLIP", "VAE"};
    } else if (className == "CLIPTextEncode") {
        spec.displayName = "CLIP Text Encode (Prompt)";
        spec.category = "conditioning";
        spec.description = "Encodes a text prompt using a CLIP model into an embedding that can be used to "
                           "guide the diffusion model towards generating specific images.";
        spec.required = ordered();
        Object::Ptr textOptions = ordered();
        textOptions->set("multiline", true);
        textOptions->set("dynamicPrompts", true);
        textOptions->set("tooltip", "The text to be encoded.");
        spec.required->set("text", input("STRING", textOptions));
        spec.required->set("clip", input("CLIP", tooltip("The CLIP model used for encoding the text.")));
        spec.outputs = {"CONDITIONING"};
    } else if (className == "KSampler") {
        spec.displayName = "KSampler";
        spec.category = "sampling";
        spec.description = "Uses the provided model, positive and negative conditioning to denoise the latent image.";
        spec.required = ordered();
        spec.required->set("model", input("MODEL", tooltip("The model used for denoising the input latent.")));
        Object::Ptr seed = intOptions(0, 0, 0xffffffffffffffffULL, "The random seed used for creating the noise.");
        seed->set("control_after_generate", true);
        spec.required->set("seed", input("INT", seed));
        spec.required->set("steps", input("INT", intOptions(20, 1, 10000, "The number of steps used in the denoising process.")));
        spec.required->set("cfg", input("FLOAT", floatOptions(8.0, 0.0, 100.0, 0.1, "The Classifier-Free Guidance scale.")));
        spec.required->set("sampler_name", input(strings(samplers()), tooltip("The algorithm used when sampling.")));
        spec.required->set("scheduler", input(strings(schedulers()), tooltip("The scheduler controls how noise is gradually removed.")));
        spec.required->set("positive", input("CONDITIONING", tooltip("The conditioning describing the attributes you want to include in the image.")));
        spec.required->set("negative", input("CONDITIONING", tooltip("The conditioning describing the attributes you want to exclude from the image.")));
        spec.required->set("latent_image", input("LATENT", tooltip("The latent image to denoise.")));
        spec.required->set("denoise", input("FLOAT", floatOptions(1.0, 0.0, 1.0, 0.01, "The amount of denoising applied.")));
        spec.outputs = {"LATENT"};
    } else if (className == "EmptyLatentImage") {
        spec.displayName = "Empty Latent Image";
        spec.category = "latent";
        spec.description = "Create a new batch of empty latent images to be denoised via sampling.";
        spec.required = ordered();
        spec.required->set("width", input("INT", intOptions(512, 16, 16384, "The width of the latent images in pixels.", 8)));
        spec.required->set("height", input("INT", intOptions(512, 16, 16384, "The height of the latent images in pixels.", 8)));
        spec.required->set("batch_size", input("INT", intOptions(1, 1, 4096, "The number of latent images in the batch.")));
        spec.outputs = {"LATENT"};
    } else if (className == "VAEDecode") {
        spec.displayName = "VAE Decode";
        spec.category = "latent";
        spec.description = "Decodes latent images back into pixel space images.";
        spec.required = ordered();
        spec.required->set("samples", input("LATENT", tooltip("The latent to be decoded.")));
        spec.required->set("vae", input("VAE", tooltip("The VAE model used for decoding the latent.")));
        spec.outputs = {"IMAGE"};
    } else if (className == "SaveImage" || className == "PreviewImage") {
        const bool save = className == "SaveImage";
        spec.displayName = save ? "Save Image" : "Preview Image";
        spec.category = "image";
        spec.description = save ? "Saves the input images to your ComfyUI output directory."
                                : "Saves the input images to your ComfyUI temp directory.";
        spec.required = ordered();
        spec.required->set("images", input("IMAGE", tooltip("The images to save.")));
        if (save) {
            Object::Ptr prefix = ordered();
            prefix->set("default", "ComfyUI");
            prefix->set("tooltip", "The prefix for the file to save.");
            spec.required->set("filename_prefix", input("STRING", prefix));
        }
        spec.hidden = ordered();
        spec.hidden->set("prompt", "PROMPT");
        spec.hidden->set("extra_pnginfo", "EXTRA_PNGINFO");
        spec.outputNode = true;
    } else if (className == "LoadImage") {
        spec.displayName = "Load Image";
        spec.category = "image";
        spec.required = ordered();
        std::vector<std::string> files;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(_inputDir, ec))
            if (entry.is_regular_file()) files.push_back(entry.path().filename().string());
        std::sort(files.begin(), files.end());
        Object::Ptr options = ordered();
        options->set("image_upload", true);
        spec.required->set("image", input(strings(files), options));
        spec.outputs = {"IMAGE", "MASK"};
    } else if (className == "LoraLoader") {
        spec.displayName = "Load LoRA";
        spec.category = "loaders";
        spec.description = "LoRAs are used to modify diffusion and CLIP models.";
        spec.required = ordered();
        spec.required->set("model", input("MODEL", tooltip("The diffusion model the LoRA will be applied to.")));
        spec.required->set("clip", input("CLIP", tooltip("The CLIP model the LoRA will be applied to.")));
        spec.required->set("lora_name", input(strings(_models.list("loras")), tooltip("The name of the LoRA.")));
        spec.required->set("strength_model", input("FLOAT", floatOptions(1.0, -100.0, 100.0, 0.01, "How strongly to modify the diffusion model.")));
        spec.required->set("strength_clip", input("FLOAT", floatOptions(1.0, -100.0, 100.0, 0.01, "How strongly to modify the CLIP model.")));
        spec.outputs = {"MODEL", "CLIP"};
    } else {
        return nullptr;
    }
    return toNodeInfo(spec);
}

Object::Ptr NodeCatalog::objectInfo() const
{
    Object::Ptr all = ordered();
    for (const auto& name : classNames()) all->set(name, nodeInfo(name));
    return all;
}

} // namespace comfygate::fakes
