#include "PresetStore.h"

#include "StrictNameCleaner.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <chrono>
#include <set>

using namespace Poco::Data::Keywords;

namespace comfygate::presets {
namespace {

const std::string columns = "user_id, title, author, description, param_map, is_starred, preview_path, "
                            "CASE WHEN preview_jpeg IS NULL THEN 0 ELSE 1 END, shared, revision";

std::string text(const Poco::Dynamic::Var& value)
{
    return value.isEmpty() ? std::string() : value.convert<std::string>();
}

std::int64_t number(const Poco::Dynamic::Var& value)
{
    return value.isEmpty() ? 0 : value.convert<Poco::Int64>();
}

Preset fromRow(const Database::Row& row)
{
    Preset preset;
    preset.userId = text(row[0]);
    preset.title = text(row[1]);
    preset.author = text(row[2]);
    preset.description = text(row[3]);
    preset.paramMapJson = text(row[4]);
    preset.isStarred = number(row[5]) != 0;
    preset.previewPath = text(row[6]);
    preset.hasPreviewJpeg = number(row[7]) != 0;
    preset.shared = number(row[8]) != 0;
    preset.revision = number(row[9]);
    if (row.size() > 10 && !row[10].isEmpty())
        preset.previewJpeg = text(row[10]);
    return preset;
}

} // namespace

PresetStore::PresetStore(Database& database, std::size_t maxPresetsPerUser, Clock clock)
    : _database(database), _maxPresetsPerUser(maxPresetsPerUser), _clock(std::move(clock))
{
    if (!_clock)
        _clock = [] {
            return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        };
}

std::vector<Preset> PresetStore::query(const std::string& where, const std::vector<Poco::Dynamic::Var>& params)
{
    std::vector<Preset> presets;
    for (const auto& row : _database.select("SELECT " + columns + " FROM presets WHERE " + where, params))
        presets.push_back(fromRow(row));
    return presets;
}

std::vector<Preset> PresetStore::list(const std::string& userId)
{
    return query("user_id = ? ORDER BY title_key", {userId});
}

std::vector<Preset> PresetStore::listSharedByOthers(const std::string& exceptUserId)
{
    return query("shared = 1 AND user_id <> ? ORDER BY title_key, author", {exceptUserId});
}

std::optional<Preset> PresetStore::findRow(const std::string& userId, const std::string& titleKey, bool withJpeg)
{
    const std::string sql =
        "SELECT " + columns + (withJpeg ? ", preview_jpeg" : "") + " FROM presets WHERE user_id = ? AND title_key = ?";
    const auto rows = _database.select(sql, {userId, titleKey});
    if (rows.empty())
        return std::nullopt;
    return fromRow(rows.front());
}

std::optional<Preset> PresetStore::find(const std::string& userId, const std::string& title, bool withJpeg)
{
    return findRow(userId, StrictNameCleaner::key(title), withJpeg);
}

std::optional<Preset> PresetStore::findSharedByOthers(const std::string& exceptUserId, const std::string& title)
{
    auto presets = query("shared = 1 AND user_id <> ? AND title_key = ? ORDER BY author",
                         {exceptUserId, StrictNameCleaner::key(title)});
    if (presets.empty())
        return std::nullopt;
    return presets.front();
}

std::optional<Preset> PresetStore::findShared(const std::string& author, const std::string& title)
{
    const auto rows = _database.select("SELECT " + columns +
                                           ", preview_jpeg FROM presets "
                                           "WHERE shared = 1 AND author = ? AND title_key = ?",
                                       {author, StrictNameCleaner::key(title)});
    if (rows.empty())
        return std::nullopt;
    return fromRow(rows.front());
}

void PresetStore::insert(Poco::Data::Session& session, const Preset& preset)
{
    std::string userId = preset.userId, key = StrictNameCleaner::key(preset.title), title = preset.title,
                author = preset.author, description = preset.description, paramMap = preset.paramMapJson,
                previewPath = preset.previewPath;
    int starred = preset.isStarred ? 1 : 0, shared = preset.shared ? 1 : 0;
    Poco::Int64 revision = preset.revision;
    if (preset.previewJpeg) {
        Poco::Data::BLOB jpeg(reinterpret_cast<const unsigned char*>(preset.previewJpeg->data()),
                              preset.previewJpeg->size());
        session << _database.translate(
            "INSERT INTO presets (user_id, title_key, title, author, description, param_map, "
            "is_starred, preview_path, preview_jpeg, shared, revision) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            use(userId), use(key), use(title), use(author), use(description), use(paramMap), use(starred),
            use(previewPath), use(jpeg), use(shared), use(revision), now;
    } else {
        session << _database.translate(
            "INSERT INTO presets (user_id, title_key, title, author, description, param_map, "
            "is_starred, preview_path, shared, revision) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            use(userId), use(key), use(title), use(author), use(description), use(paramMap), use(starred),
            use(previewPath), use(shared), use(revision), now;
    }
}

void PresetStore::deleteRow(Poco::Data::Session& session, const std::string& userId, const std::string& titleKey)
{
    std::string u = userId, k = titleKey;
    session << _database.translate("DELETE FROM presets WHERE user_id = ? AND title_key = ?"), use(u), use(k), now;
}

void PresetStore::save(const Preset& preset, const std::optional<std::string>& replacing, bool keepPreview)
{
    const std::string key = StrictNameCleaner::key(preset.title);
    try {
        _database.write([&](Poco::Data::Session& session) {
            std::optional<Preset> old;
            if (replacing)
                old = findRow(preset.userId, StrictNameCleaner::key(*replacing), keepPreview);
            const auto existing = findRow(preset.userId, key, keepPreview && !old);
            const bool editingInPlace = old && StrictNameCleaner::key(old->title) == key;
            if (existing && !editingInPlace)
                throw PresetConflict("That preset name is taken.");
            if (!old)
                checkRoomFor(preset.userId);
            Preset row = preset;
            if (const auto& source = old ? old : existing; keepPreview && source) {
                row.previewPath = source->previewPath;
                row.previewJpeg = source->previewJpeg;
            }
            if (old) {
                row.shared = old->shared;
                deleteRow(session, preset.userId, StrictNameCleaner::key(old->title));
            }
            row.revision = _clock();
            insert(session, row);
        });
    } catch (const PresetConflict&) {
        throw;
    } catch (const std::exception&) {
        // On PostgreSQL two writers of one new title both pass the check above and the second
        // insert hits the primary key: that writer lost the race for the name.
        if (findRow(preset.userId, key, false) && !(replacing && StrictNameCleaner::key(*replacing) == key))
            throw PresetConflict("That preset name is taken.");
        throw;
    }
}

std::string PresetStore::duplicate(const std::string& userId, const std::string& title)
{
    // Concurrent duplicates on PostgreSQL may pick the same free number; the loser's insert
    // hits the primary key and it tries the next number.
    for (int attempt = 1;; ++attempt) {
        try {
            return duplicateOnce(userId, title);
        } catch (const PresetConflict&) {
            throw;
        } catch (const std::exception&) {
            if (attempt == 3)
                throw;
        }
    }
}

std::string PresetStore::duplicateOnce(const std::string& userId, const std::string& title)
{
    std::string copyTitle;
    _database.write([&](Poco::Data::Session& session) {
        auto original = findRow(userId, StrictNameCleaner::key(title), true);
        if (!original)
            throw PresetConflict("No such preset.");
        checkRoomFor(userId);
        for (int number = 2;; ++number) {
            copyTitle = original->title + " (" + std::to_string(number) + ")";
            if (!findRow(userId, StrictNameCleaner::key(copyTitle), false))
                break;
        }
        Preset copy = *original;
        copy.title = copyTitle;
        copy.shared = false; // publishing is a deliberate act per preset
        copy.revision = _clock();
        insert(session, copy);
    });
    return copyTitle;
}

void PresetStore::checkRoomFor(const std::string& userId)
{
    const auto rows = _database.select("SELECT COUNT(*) FROM presets WHERE user_id = ?", {userId});
    if (!rows.empty() && static_cast<std::size_t>(number(rows.front()[0])) >= _maxPresetsPerUser)
        throw PresetConflict("You have " + std::to_string(_maxPresetsPerUser) +
                             " presets, the most this server keeps per user: delete some first.");
}

bool PresetStore::remove(const std::string& userId, const std::string& title)
{
    bool removed = false;
    _database.write([&](Poco::Data::Session& session) {
        const std::string key = StrictNameCleaner::key(title);
        removed = findRow(userId, key, false).has_value();
        if (removed)
            deleteRow(session, userId, key);
    });
    return removed;
}

bool PresetStore::setShared(const std::string& userId, const std::string& title, bool shared)
{
    bool found = false;
    _database.write([&](Poco::Data::Session& session) {
        std::string u = userId, k = StrictNameCleaner::key(title);
        found = findRow(userId, k, false).has_value();
        int flag = shared ? 1 : 0;
        Poco::Int64 revision = _clock();
        if (found)
            session << _database.translate(
                "UPDATE presets SET shared = ?, revision = ? WHERE user_id = ? AND title_key = ?"),
                use(flag), use(revision), use(u), use(k), now;
    });
    return found;
}

bool PresetStore::unshareByAuthor(const std::string& author, const std::string& title)
{
    bool found = false;
    _database.write([&](Poco::Data::Session& session) {
        std::string a = author, k = StrictNameCleaner::key(title);
        found =
            !_database.select("SELECT user_id FROM presets WHERE shared = 1 AND author = ? AND title_key = ?", {a, k})
                 .empty();
        if (found)
            session << _database.translate("UPDATE presets SET shared = 0 WHERE author = ? AND title_key = ?"), use(a),
                use(k), now;
    });
    return found;
}

std::set<std::string> PresetStore::owners()
{
    std::set<std::string> owners;
    for (const auto& row : _database.select("SELECT DISTINCT user_id FROM presets", {}))
        owners.insert(text(row[0]));
    return owners;
}

void PresetStore::removeOwner(const std::string& userId)
{
    _database.write([&](Poco::Data::Session& session) {
        std::string u = userId;
        session << _database.translate("DELETE FROM presets WHERE user_id = ?"), use(u), now;
    });
}

} // namespace comfygate::presets
