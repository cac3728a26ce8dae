#include "FileHashCache.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <fstream>
#include <vector>

namespace comfygate::civitaicatalog {

namespace {

std::optional<std::string> hashFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0)
            engine.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad())
        return std::nullopt;
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace

std::optional<std::string> FileHashCache::sha256(const std::filesystem::path& path)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return std::nullopt;
    const auto size = std::filesystem::file_size(path, error);
    const auto modified = std::filesystem::last_write_time(path, error);
    if (error)
        return std::nullopt;
    {
        Poco::FastMutex::ScopedLock lock(_mutex);
        const auto found = _known.find(path.string());
        if (found != _known.end() && found->second.size == size && found->second.modified == modified)
            return found->second.sha256;
    }
    // Hashed outside the lock: two lookups of one new file may both hash it, but no lookup
    // of another file waits for a multi-GB read.
    const auto hash = hashFile(path);
    if (hash) {
        Poco::FastMutex::ScopedLock lock(_mutex);
        _known[path.string()] = Stamp{size, modified, *hash};
    }
    return hash;
}

} // namespace comfygate::civitaicatalog
