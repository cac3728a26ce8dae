#pragma once

#include "FileRef.h"

#include "comfygate/Database.h"

#include <optional>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// NSFW verdicts per file (type + subfolder + file name), kept in the database
/// (`comfy_nsfw_tags`) and never in the file itself: metadata inside a file says whatever
/// its uploader wrote (MSS-Login trusted it).
class NsfwTags
{
public:
    struct Tag
    {
        bool isNsfw = true;
        double score = 1.0;
        std::string label = "manual";
    };

    /// A stored verdict with its file and who set it when, for the console's list.
    struct Entry
    {
        std::string type, subfolder, filename;
        Tag tag;
        std::string taggedBy;
        std::int64_t taggedAt = 0; ///< Unix seconds
    };

    explicit NsfwTags(Database& database) : _database(database) {}

    /// Sets (or replaces) the verdict for the file.
    void mark(const FileRef& file, const Tag& tag, const std::string& taggedBy, std::int64_t taggedAt);
    /// The stored verdict, if any.
    std::optional<Tag> find(const FileRef& file);
    /// The most recently set verdicts, newest first; `nsfwOnly` leaves out files tagged safe.
    std::vector<Entry> recent(std::size_t limit, bool nsfwOnly);

private:
    Database& _database;
};

} // namespace comfygate::comfyproxy
