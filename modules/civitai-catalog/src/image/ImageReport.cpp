#include "ImageReport.h"

#include "CatalogStatus.h"
#include "DependencyDetector.h"
#include "GenerationType.h"
#include "PromptDependencies.h"

#include <Poco/JSON/Array.h>

namespace comfygate::civitaicatalog {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Var memberOrNull(const Object& object, const std::string& key)
{
    return object.has(key) ? object.get(key) : Var();
}

std::int64_t versionIdOf(const Object& resource)
{
    for (const char* key : {"modelVersionId", "versionId"})
        if (resource.has(key) && resource.get(key).isInteger())
            return resource.getValue<std::int64_t>(key);
    return 0;
}

Object::Ptr dependencyJson(const DetectedDependency& dep)
{
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("name", dep.name);
    json->set("type", dep.type);
    json->set("source", dep.source);
    json->set("weight", dep.weight ? Var(*dep.weight) : Var());
    json->set("hash", dep.hash.empty() ? Var() : Var(dep.hash));
    if (const auto& civitai = dep.civitai) {
        json->set("civitai_model_id", civitai->modelId);
        json->set("civitai_version_id", civitai->versionId);
        json->set("civitai_model_name", civitai->modelName);
        json->set("civitai_version_name", civitai->versionName);
        json->set("civitai_base_model", civitai->baseModel);
        json->set("civitai_type", civitai->type);
        json->set("civitai_file", civitai->file);
        json->set("civitai_download_url", civitai->downloadUrl);
    }
    return json;
}

} // namespace

Object::Ptr ImageReport::build(const Object::Ptr& payload)
{
    const auto meta = payload->getObject("meta");
    Object::Ptr report = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    report->set("raw", payload);
    report->set("resources", resources(*payload));
    report->set("detected_deps", dependencies(meta));
    const bool hasPrompt = meta && meta->has("prompt") && meta->get("prompt").isString();
    report->set("clean_prompt",
                hasPrompt ? Var(PromptDependencies::cleanPrompt(meta->getValue<std::string>("prompt"))) : Var());
    report->set("meta", meta ? Var(meta) : Var());
    for (const char* key : {"type", "process", "techniques", "tools"})
        report->set(key, memberOrNull(*payload, key));
    report->set("detected_type", GenerationType::detect(*payload));
    return report;
}

Array::Ptr ImageReport::resources(const Object& payload)
{
    CatalogStatus status(_catalog);
    Array::Ptr enriched = new Array;
    const auto source = payload.getArray("resources");
    for (std::size_t i = 0; source && i < source->size(); ++i) {
        const auto resource = source->getObject(static_cast<unsigned>(i));
        if (!resource)
            continue;
        // A copy: `raw` keeps CivitAI's resources as they came.
        Object::Ptr copy = new Object(*resource);
        const std::string hash =
            copy->has("hash") && copy->get("hash").isString() ? copy->getValue<std::string>("hash") : std::string();
        CatalogStatus::annotate(*copy, status.find(versionIdOf(*resource), hash));
        enriched->add(copy);
    }
    return enriched;
}

Array::Ptr ImageReport::dependencies(const Object::Ptr& meta)
{
    CatalogStatus status(_catalog);
    Array::Ptr result = new Array;
    std::size_t attempted = 0;
    for (auto& dep : DependencyDetector::detect(meta)) {
        const bool withinBudget = attempted < _maxResolved;
        if (withinBudget) {
            ++attempted;
            dep.civitai = _resolver.resolve(dep);
        }
        auto json = dependencyJson(dep);
        if (dep.civitai)
            CatalogStatus::annotate(*json, status.find(dep.civitai->versionId, dep.hash));
        else
            json->set("catalog_status", "unknown");
        if (!withinBudget)
            json->set("resolution", "skipped");
        result->add(json);
    }
    return result;
}

} // namespace comfygate::civitaicatalog
