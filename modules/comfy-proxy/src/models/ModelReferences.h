#pragma once

#include "ModelCatalog.h"

#include <Poco/JSON/Object.h>

#include <set>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// One model file a prompt names: a string in a node's inputs that the model catalog knows
/// (ckpt_name, lora_name, vae_name, unet_name, ... or any custom node's input), or an
/// `embedding:<name>` inside prompt text that names an embedding file.
struct ModelReference
{
    std::string name;              ///< as the graph names it (backslashes made slashes); an embedding's stem
    std::set<std::string> folders; ///< the catalog folders holding it ("embeddings" for an embedding)
    std::string nodeId;
    std::string classType;
    std::string input;
    bool embedding = false;
};

/// Every model reference of a graph, node by node in the graph's order. Every string in every
/// input is looked at, whatever the node's class, so custom loader nodes cannot slip past a
/// list of known loaders; model isolation and the `model` policy hook share this walk.
std::vector<ModelReference> modelReferences(const ModelCatalog::Snapshot& catalog, const Poco::JSON::Object::Ptr& graph);

/// The embedding files whose name without extension is `stem` (how ComfyUI names them).
std::vector<std::string> embeddingFiles(const ModelCatalog::Snapshot& catalog, const std::string& stem);

} // namespace comfygate::comfyproxy
