#include "DependencyResolver.h"

#include "NameOverlap.h"

#include <Poco/JSON/Array.h>

namespace comfygate::civitaicatalog {

using Poco::JSON::Object;

namespace {

std::string text(const Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isString() ? object.getValue<std::string>(key) : std::string();
}

std::int64_t integer(const Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isInteger() ? object.getValue<std::int64_t>(key) : 0;
}

/// The primary file (the `primary` flag, else the first), as CivitAI's download route picks it.
Object::Ptr primaryFile(const Object& version)
{
    const auto files = version.getArray("files");
    Object::Ptr first;
    for (std::size_t i = 0; files && i < files->size(); ++i) {
        const auto file = files->getObject(static_cast<unsigned>(i));
        if (!file)
            continue;
        if (!first)
            first = file;
        if (file->has("primary") && file->get("primary").isBoolean() && file->getValue<bool>("primary"))
            return file;
    }
    return first;
}

} // namespace

std::optional<ResolvedVersion> DependencyResolver::fromVersion(const Object& version)
{
    ResolvedVersion resolved;
    resolved.versionId = integer(version, "id");
    if (resolved.versionId <= 0)
        return std::nullopt;
    resolved.modelId = integer(version, "modelId");
    resolved.versionName = text(version, "name");
    resolved.baseModel = text(version, "baseModel");
    resolved.downloadUrl = text(version, "downloadUrl");
    if (const auto model = version.getObject("model")) {
        resolved.modelName = text(*model, "name");
        resolved.type = text(*model, "type");
    }
    if (const auto file = primaryFile(version)) {
        resolved.file = text(*file, "name");
        if (resolved.downloadUrl.empty())
            resolved.downloadUrl = text(*file, "downloadUrl");
    }
    return resolved;
}

std::optional<ResolvedVersion> DependencyResolver::resolve(const DetectedDependency& dep)
{
    try {
        if (!dep.hash.empty())
            if (auto found = byHash(dep.hash))
                return found;
        return bySearch(dep);
    } catch (const HttpClientError&) {
        return std::nullopt;
    }
}

std::optional<ResolvedVersion> DependencyResolver::byHash(const std::string& hash)
{
    const auto reply = _civitai.versionByHash(hash);
    if (reply.status != 200 || !reply.json)
        return std::nullopt;
    return fromVersion(*reply.json);
}

std::optional<ResolvedVersion> DependencyResolver::bySearch(const DetectedDependency& dep)
{
    const auto reply =
        _civitai.searchModels(dep.name, dep.type == "embedding" ? "TextualInversion" : "LORA", searchLimit);
    const auto items = reply.status == 200 && reply.json ? reply.json->getArray("items") : nullptr;
    for (std::size_t i = 0; items && i < items->size(); ++i) {
        const auto model = items->getObject(static_cast<unsigned>(i));
        if (!model || !NameOverlap::accepted(dep.name, text(*model, "name")))
            continue;
        const auto versions = model->getArray("modelVersions");
        const auto newest = versions && versions->size() > 0 ? versions->getObject(0) : nullptr;
        if (!newest)
            continue;
        auto resolved = fromVersion(*newest);
        if (!resolved)
            continue;
        // Versions listed inside a model carry neither the model nor its id.
        resolved->modelId = integer(*model, "id");
        resolved->modelName = text(*model, "name");
        resolved->type = text(*model, "type");
        return resolved;
    }
    return std::nullopt;
}

} // namespace comfygate::civitaicatalog
