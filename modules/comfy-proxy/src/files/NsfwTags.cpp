#include "NsfwTags.h"

#include <Poco/Data/Statement.h>

#include <vector>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {

void NsfwTags::mark(const FileRef& file, const Tag& tag, const std::string& taggedBy, std::int64_t taggedAt)
{
    const int nsfw = tag.isNsfw ? 1 : 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "INSERT INTO comfy_nsfw_tags (type, subfolder, filename, is_nsfw, score, label, tagged_by,"
            " tagged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (type, subfolder, filename) DO UPDATE"
            " SET is_nsfw = excluded.is_nsfw, score = excluded.score, label = excluded.label,"
            " tagged_by = excluded.tagged_by, tagged_at = excluded.tagged_at"),
            bind(file.type), bind(file.subfolder), bind(file.filename), bind(nsfw), bind(tag.score), bind(tag.label),
            bind(taggedBy), bind(static_cast<Poco::Int64>(taggedAt)), now;
    });
}

std::optional<NsfwTags::Tag> NsfwTags::find(const FileRef& file)
{
    std::vector<int> nsfw;
    std::vector<double> score;
    std::vector<std::string> label;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT is_nsfw, score, label FROM comfy_nsfw_tags"
                                   " WHERE type = ? AND subfolder = ? AND filename = ?"),
        bind(file.type), bind(file.subfolder), bind(file.filename), into(nsfw), into(score), into(label), now;
    if (nsfw.empty())
        return std::nullopt;
    return Tag{nsfw.front() != 0, score.front(), label.front()};
}

} // namespace comfygate::comfyproxy
