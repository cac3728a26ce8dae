#pragma once

#include "CivitaiClient.h"
#include "DetectedDependency.h"

#include <optional>

namespace comfygate::civitaicatalog {

/// Finds a dependency on CivitAI: by hash first (`by-hash`), else by a name search
/// (`/api/v1/models?query=<name>&types=<LORA|TextualInversion>&limit=3`) whose hit is accepted
/// only when NameOverlap accepts its name; the hit's newest version is taken.
class DependencyResolver
{
public:
    static constexpr int searchLimit = 3;

    explicit DependencyResolver(CivitaiClient& civitai) : _civitai(civitai) {}

    /// Nothing when CivitAI does not know it or cannot be reached: the dependency is `unknown`.
    std::optional<ResolvedVersion> resolve(const DetectedDependency& dep);

    /// Reads a model-version answer (`/model-versions/{id}`, `by-hash`).
    static std::optional<ResolvedVersion> fromVersion(const Poco::JSON::Object& version);

private:
    std::optional<ResolvedVersion> byHash(const std::string& hash);
    std::optional<ResolvedVersion> bySearch(const DetectedDependency& dep);

    CivitaiClient& _civitai;
};

} // namespace comfygate::civitaicatalog
