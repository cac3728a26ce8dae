#pragma once

#include <optional>
#include <string>

namespace comfygate::civitaicatalog {

/// Where a CivitAI model goes: its catalog category and its folder under the models root.
struct ModelPlacement
{
    std::string category;
    std::string dest;

    /// The reference's type table (§2.5) plus LoCon/DoRA, TextEncoder, UNet and CLIPVision.
    /// A Checkpoint of a diffusion-only base model (Flux, Wan, Hunyuan, LTX, CogVideoX) goes to
    /// diffusion_models. Nothing for a type ComfyUI has no loader folder for.
    static std::optional<ModelPlacement> forCivitaiType(const std::string& type, const std::string& baseModel);

    /// The loras.json bucket (§2.6) of a LoRA trained on `baseModel`, e.g. "flux_loras".
    static std::string loraBucket(const std::string& baseModel);

    /// LORA, LoCon and DoRA: what promote-to-lora accepts.
    static bool isLoraType(const std::string& type);
};

} // namespace comfygate::civitaicatalog
