#include "ModelCatalog.h"

#include "comfygate/HttpError.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

namespace comfygate::comfyproxy {

std::shared_ptr<const ModelCatalog::Snapshot> ModelCatalog::snapshot()
{
    std::lock_guard lock(_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!_snapshot || now - _loadedAt >= _ttl) {
        _snapshot = load();
        _loadedAt = now;
    }
    return _snapshot;
}

std::vector<std::string> ModelCatalog::fetchList(const std::string& path)
{
    const auto answer = _upstream.fetch("GET", path);
    if (answer.status == 404) // a folder that went away between the two requests
        return {};
    if (answer.status != 200)
        throw HttpError(502, "ComfyUI answered " + path + " with status " + std::to_string(answer.status));
    std::vector<std::string> names;
    try {
        const auto array = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto value = array->get(static_cast<unsigned>(i));
            if (value.isString())
                names.push_back(value.convert<std::string>());
        }
    } catch (...) {
        throw HttpError(502, "ComfyUI answered " + path + " with something that is not a JSON array");
    }
    return names;
}

std::shared_ptr<const ModelCatalog::Snapshot> ModelCatalog::load()
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->folders = fetchList("/models");
    for (const auto& folder : snapshot->folders) {
        std::string encoded;
        Poco::URI::encode(folder, "/?#%", encoded);
        auto files = fetchList("/models/" + encoded);
        for (const auto& file : files)
            snapshot->foldersOf[file].insert(folder);
        snapshot->files[folder] = std::move(files);
    }
    return snapshot;
}

} // namespace comfygate::comfyproxy
