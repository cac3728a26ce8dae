#pragma once

#include <string>

namespace comfygate::presets {

/// SwarmUI's strict file-name cleaner (reference swarmui-basic-api.md §6), used for preset
/// titles: `\` becomes `/`, control characters, `<>:"|?*` and every `.` are removed, each
/// `/`-separated segment is trimmed of spaces and empty ones dropped (so `//` collapses and
/// outer `/` go), and a segment that is a Windows reserved device name (CON, NUL, COM1, ...)
/// gets a trailing `_`. `/` stays: the
/// web client shows it as folders. The result never holds a dot segment, so `../../etc/passwd`
/// becomes the harmless title `etc/passwd`.
class StrictNameCleaner
{
public:
    static std::string clean(const std::string& name);

    /// The case-insensitive key a title is stored and looked up under (ASCII lower-case, as
    /// SwarmUI's `<user>///<lower-cased title>` ids).
    static std::string key(const std::string& cleanedTitle);

private:
    static bool isReservedDeviceName(const std::string& segment);
};

} // namespace comfygate::presets
