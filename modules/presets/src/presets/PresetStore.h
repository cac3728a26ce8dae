#pragma once

#include "Preset.h"
#include "comfygate/Database.h"

#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::presets {

/// A preset operation the store refuses; the message is SwarmUI's preset_fail text.
class PresetConflict : public std::runtime_error
{
public:
    explicit PresetConflict(const std::string& message) : std::runtime_error(message) {}
};

/// The `presets` table: each user's presets keyed by (user id, lower-cased title), and the
/// ones their publishers shared with everyone. Every change is one transaction.
class PresetStore
{
public:
    using Clock = std::function<std::int64_t()>; ///< Unix ms
    /// `maxPresetsPerUser` caps new presets (checked inside the saving transaction).
    PresetStore(Database& database, std::size_t maxPresetsPerUser, Clock clock = {});

    /// The user's presets ordered by title, without the JPEG bytes (hasPreviewJpeg tells).
    std::vector<Preset> list(const std::string& userId);
    /// Every shared preset of users other than `exceptUserId`, ordered by title and author.
    std::vector<Preset> listSharedByOthers(const std::string& exceptUserId);

    /// The user's own preset, with its JPEG when `withJpeg`.
    std::optional<Preset> find(const std::string& userId, const std::string& title, bool withJpeg);
    /// A preset another user shared under this title (the first by author), if any.
    std::optional<Preset> findSharedByOthers(const std::string& exceptUserId, const std::string& title);
    /// A shared preset by its publisher's name, with its JPEG.
    std::optional<Preset> findShared(const std::string& author, const std::string& title);

    /// Saves `preset` under its title. `replacing` names the preset being edited (SwarmUI's
    /// is_edit + editing): its row is replaced, or deleted when the title changed, in the same
    /// transaction; its shared flag carries over. Without `replacing` an existing title is
    /// refused ("That preset name is taken."), as is renaming onto another existing preset.
    /// With `keepPreview` the preview of the preset being replaced (else of the one under the
    /// same title) is kept, read inside the same transaction. A new preset beyond the per-user
    /// cap is refused.
    void save(const Preset& preset, const std::optional<std::string>& replacing, bool keepPreview);

    /// Copies the user's preset as "<title> (2)", "(3)", ...; returns the new title.
    std::string duplicate(const std::string& userId, const std::string& title);

    bool remove(const std::string& userId, const std::string& title);

    /// Sets the shared flag of the user's preset; false when the user has no such preset.
    bool setShared(const std::string& userId, const std::string& title, bool shared);
    /// Unshares a preset by its publisher's name (an admin taking one down).
    bool unshareByAuthor(const std::string& author, const std::string& title);

    /// Every user id with a row (for the orphan sweep).
    std::set<std::string> owners();
    /// Deletes every preset of the user.
    void removeOwner(const std::string& userId);

private:
    /// Inside write() on the same thread, Database::select() reads through the transaction.
    std::optional<Preset> findRow(const std::string& userId, const std::string& titleKey, bool withJpeg);
    /// Refuses one more preset beyond the per-user cap (PresetConflict).
    void checkRoomFor(const std::string& userId);
    std::string duplicateOnce(const std::string& userId, const std::string& title);
    void insert(Poco::Data::Session& session, const Preset& preset);
    void deleteRow(Poco::Data::Session& session, const std::string& userId, const std::string& titleKey);
    std::vector<Preset> query(const std::string& where, const std::vector<Poco::Dynamic::Var>& params);

    Database& _database;
    std::size_t _maxPresetsPerUser;
    Clock _clock;
};

} // namespace comfygate::presets
