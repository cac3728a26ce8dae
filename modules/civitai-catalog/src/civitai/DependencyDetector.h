#pragma once

#include "DetectedDependency.h"

#include <Poco/JSON/Object.h>

#include <vector>

namespace comfygate::civitaicatalog {

/// Lists an image's hidden dependencies from its generation `meta` (no network): LoRA tags of
/// the prompt, embeddings of the negative prompt, then LoRAs that only `meta.resources` names
/// (`type` lora, locon, lycoris or dora). Names compare case-insensitively; a dependency gets
/// the `hash` of the `meta.resources` entry with its name.
class DependencyDetector
{
public:
    static std::vector<DetectedDependency> detect(const Poco::JSON::Object::Ptr& meta);
};

} // namespace comfygate::civitaicatalog
