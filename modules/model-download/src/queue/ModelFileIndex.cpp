#include "ModelFileIndex.h"

#include <Poco/Data/Session.h>

#include <filesystem>
#include <system_error>
#include <vector>

using namespace Poco::Data::Keywords;

namespace comfygate::modeldownload {

void ModelFileIndex::record(const std::string& path, std::int64_t size, const std::string& sha256, std::int64_t at)
{
    const std::string directory = std::filesystem::path(path).parent_path().string();
    const Poco::Int64 bytes = size;
    const Poco::Int64 indexed = at;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("INSERT INTO download_files (path, directory, size, sha256, indexed_at)"
                                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET"
                                       " size = excluded.size, sha256 = excluded.sha256,"
                                       " indexed_at = excluded.indexed_at"),
            bind(path), bind(directory), bind(bytes), bind(sha256), bind(indexed), now;
    });
}

std::optional<std::string> ModelFileIndex::findInDirectory(const std::string& directory, const std::string& sha256)
{
    std::vector<std::string> paths;
    std::vector<Poco::Int64> sizes;
    {
        Poco::Data::Session session = _database.session();
        session << _database.translate("SELECT path, size FROM download_files WHERE directory = ? AND sha256 = ?"
                                       " ORDER BY path"),
            into(paths), into(sizes), bind(directory), bind(sha256), now;
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
        std::error_code error;
        const auto size = std::filesystem::file_size(paths[i], error);
        if (!error && static_cast<Poco::Int64>(size) == sizes[i])
            return paths[i];
        forget(paths[i]);
    }
    return std::nullopt;
}

bool ModelFileIndex::holds(const std::string& path, const std::string& sha256)
{
    std::vector<std::string> hashes;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT sha256 FROM download_files WHERE path = ?"), into(hashes), bind(path), now;
    return !hashes.empty() && hashes.front() == sha256;
}

void ModelFileIndex::forget(const std::string& path)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate("DELETE FROM download_files WHERE path = ?"), bind(path), now;
    });
}

} // namespace comfygate::modeldownload
