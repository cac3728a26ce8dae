#include "DependencyDetector.h"

#include "PromptDependencies.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>

namespace comfygate::civitaicatalog {

namespace {

struct MetaResource
{
    std::string name;
    std::string type;
    std::string hash;
    std::optional<double> weight;
};

std::string text(const Poco::JSON::Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isString() ? object.getValue<std::string>(key) : std::string();
}

std::vector<MetaResource> metaResources(const Poco::JSON::Object& meta)
{
    std::vector<MetaResource> resources;
    const auto array = meta.getArray("resources");
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        const auto item = array->getObject(static_cast<unsigned>(i));
        if (!item)
            continue;
        MetaResource resource{text(*item, "name"), Poco::toLower(text(*item, "type")), text(*item, "hash"), {}};
        if (item->has("weight") && item->get("weight").isNumeric())
            resource.weight = item->getValue<double>("weight");
        if (!resource.name.empty())
            resources.push_back(resource);
    }
    return resources;
}

bool isLoraType(const std::string& type)
{
    return type == "lora" || type == "locon" || type == "lycoris" || type == "dora";
}

bool sameName(const std::string& a, const std::string& b)
{
    return Poco::icompare(a, b) == 0;
}

} // namespace

std::vector<DetectedDependency> DependencyDetector::detect(const Poco::JSON::Object::Ptr& meta)
{
    std::vector<DetectedDependency> deps;
    if (!meta)
        return deps;
    const auto known = [&](const std::string& name, const std::string& type) {
        return std::any_of(deps.begin(), deps.end(),
                           [&](const DetectedDependency& dep) { return dep.type == type && sameName(dep.name, name); });
    };
    for (const auto& tag : PromptDependencies::loraTags(text(*meta, "prompt")))
        if (!known(tag.name, "lora"))
            deps.push_back({tag.name, "lora", "prompt", tag.weight, {}, {}});
    for (const auto& name : PromptDependencies::negativeEmbeddings(text(*meta, "negativePrompt")))
        if (!known(name, "embedding"))
            deps.push_back({name, "embedding", "negative_prompt", std::nullopt, {}, {}});

    const auto resources = metaResources(*meta);
    for (const auto& resource : resources)
        if (isLoraType(resource.type) && !known(resource.name, "lora"))
            deps.push_back({resource.name, "lora", "meta_resources", resource.weight, {}, {}});
    for (auto& dep : deps)
        for (const auto& resource : resources)
            if (dep.hash.empty() && !resource.hash.empty() && sameName(dep.name, resource.name))
                dep.hash = resource.hash;
    return deps;
}

} // namespace comfygate::civitaicatalog
