#pragma once

#include "ModelFolders.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace comfygate::fakes {

/// The node classes the fake knows, in ComfyUI's NodeInfo shape (GET /object_info). Combo
/// lists are read from disk on every call: checkpoints, loras and input images.
class NodeCatalog
{
public:
    NodeCatalog(const ModelFolders& models, std::string inputDir);

    /// `{ClassName: NodeInfo}` for every class.
    Poco::JSON::Object::Ptr objectInfo() const;
    /// The NodeInfo of one class, or null when unknown.
    Poco::JSON::Object::Ptr nodeInfo(const std::string& className) const;
    bool knows(const std::string& className) const;
    std::vector<std::string> classNames() const;

    static const std::vector<std::string>& samplers();
    static const std::vector<std::string>& schedulers();

private:
    const ModelFolders& _models;
    std::string _inputDir;
};

} // namespace comfygate::fakes
