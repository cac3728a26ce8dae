#include "StaticCatalogLookup.h"

#include <Poco/DigestEngine.h>
#include <Poco/DigestStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <fstream>

namespace comfygate::civitaicatalog {

namespace fs = std::filesystem;
using Poco::JSON::Object;

namespace {

std::string text(const Object& object, const std::string& key)
{
    return object.has(key) && object.get(key).isString() ? object.getValue<std::string>(key) : std::string();
}

std::int64_t versionIdOf(const Object& entry)
{
    if (!entry.has("civitai_version_id"))
        return 0;
    const auto value = entry.get("civitai_version_id");
    try {
        return value.isString() ? std::stoll(value.extract<std::string>()) : value.convert<std::int64_t>();
    } catch (const std::exception&) {
        return 0;
    }
}

/// Entries of one export; a file that cannot be read counts as empty (the store rewrites it).
std::vector<CatalogMatch> readCatalog(const fs::path& path, const std::string& catalog)
{
    std::vector<CatalogMatch> entries;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return entries;
    try {
        const auto root = Poco::JSON::Parser().parse(in).extract<Object::Ptr>();
        const auto categories = root->getArray("categories");
        for (std::size_t c = 0; categories && c < categories->size(); ++c) {
            const auto category = categories->getObject(static_cast<unsigned>(c));
            const auto models = category ? category->getArray("models") : nullptr;
            for (std::size_t m = 0; models && m < models->size(); ++m) {
                const auto entry = models->getObject(static_cast<unsigned>(m));
                if (!entry || text(*entry, "file").empty())
                    continue;
                CatalogMatch match;
                match.name = text(*entry, "name");
                match.file = text(*entry, "file");
                match.dest = text(*entry, "dest");
                match.catalog = catalog;
                match.sha256 = Poco::toLower(text(*entry, "hash"));
                match.versionId = versionIdOf(*entry);
                entries.push_back(match);
            }
        }
    } catch (const Poco::Exception&) {
        entries.clear();
    }
    return entries;
}

} // namespace

StaticCatalogLookup::StaticCatalogLookup(fs::path catalogDir, fs::path modelsRoot)
    : _catalogDir(std::move(catalogDir)), _modelsRoot(fs::absolute(modelsRoot).lexically_normal())
{
    // "/models/" would make every lexically_relative() start with "..".
    if (!_modelsRoot.has_filename() && _modelsRoot.has_parent_path() && _modelsRoot != _modelsRoot.root_path())
        _modelsRoot = _modelsRoot.parent_path();
}

void StaticCatalogLookup::refresh()
{
    for (const char* catalog : {"models", "loras"}) {
        const fs::path path = _catalogDir / (std::string(catalog) + ".json");
        std::error_code error;
        const auto modified = fs::last_write_time(path, error);
        auto& cached = _files[catalog];
        if (error) {
            cached = CatalogFile{};
            continue;
        }
        if (cached.exists && cached.modified == modified)
            continue;
        cached.entries = readCatalog(path, catalog);
        cached.modified = modified;
        cached.exists = true;
    }
}

std::string StaticCatalogLookup::fileSha256(const fs::path& path)
{
    std::error_code error;
    const auto size = fs::file_size(path, error);
    const auto modified = fs::last_write_time(path, error);
    if (error)
        return {};
    auto& cached = _hashes[path.string()];
    if (!cached.sha256.empty() && cached.size == size && cached.modified == modified)
        return cached.sha256;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    Poco::DigestOutputStream digest(engine);
    Poco::StreamCopier::copyStream(in, digest);
    digest.flush();
    cached = {size, modified, Poco::DigestEngine::digestToHex(engine.digest())};
    return cached.sha256;
}

CatalogMatch StaticCatalogLookup::withDiskState(CatalogMatch entry)
{
    const fs::path path = (_modelsRoot / entry.dest / entry.file).lexically_normal();
    // A catalog entry naming "../" must not make us hash files outside the models root.
    const auto relative = path.lexically_relative(_modelsRoot);
    if (relative.empty() || *relative.begin() == "..") {
        entry.onDisk = false;
        return entry;
    }
    std::error_code error;
    const bool isFile = fs::is_regular_file(path, error);
    entry.onDisk = isFile && (entry.sha256.empty() || fileSha256(path) == entry.sha256);
    return entry;
}

std::optional<CatalogMatch> StaticCatalogLookup::byVersionId(std::int64_t civitaiVersionId)
{
    if (civitaiVersionId <= 0)
        return std::nullopt;
    std::lock_guard lock(_mutex);
    refresh();
    for (const auto& [catalog, file] : _files)
        for (const auto& entry : file.entries)
            if (entry.versionId == civitaiVersionId)
                return withDiskState(entry);
    return std::nullopt;
}

std::optional<CatalogMatch> StaticCatalogLookup::bySha256(const std::string& hash)
{
    const std::string wanted = Poco::toLower(hash);
    if (wanted.size() != 64 && wanted.size() != 10)
        return std::nullopt;
    std::lock_guard lock(_mutex);
    refresh();
    for (const auto& [catalog, file] : _files)
        for (const auto& entry : file.entries)
            if (entry.sha256.size() == 64 && entry.sha256.compare(0, wanted.size(), wanted) == 0)
                return withDiskState(entry);
    return std::nullopt;
}

} // namespace comfygate::civitaicatalog
