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

std::vector<NsfwTags::Entry> NsfwTags::recent(std::size_t limit, bool nsfwOnly)
{
    std::vector<std::string> types, subfolders, filenames, labels, taggers;
    std::vector<int> nsfw;
    std::vector<double> scores;
    std::vector<Poco::Int64> times;
    const Poco::Int64 rows = static_cast<Poco::Int64>(limit);
    Poco::Data::Session session = _database.session();
    session << _database.translate(std::string("SELECT type, subfolder, filename, is_nsfw, score, label, tagged_by,"
                                               " tagged_at FROM comfy_nsfw_tags") +
                                   (nsfwOnly ? " WHERE is_nsfw = 1" : "") +
                                   " ORDER BY tagged_at DESC, type, subfolder, filename LIMIT ?"),
        into(types), into(subfolders), into(filenames), into(nsfw), into(scores), into(labels), into(taggers),
        into(times), bind(rows), now;
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < types.size(); ++i)
        entries.push_back(
            {types[i], subfolders[i], filenames[i], Tag{nsfw[i] != 0, scores[i], labels[i]}, taggers[i], times[i]});
    return entries;
}

} // namespace comfygate::comfyproxy
