#pragma once

#include <string>
#include <vector>

namespace comfygate {

/// Parsing of configuration values. Every function throws std::invalid_argument with a
/// message that names the key, the bad value and where it came from.
class ConfigValue
{
public:
    static bool toBool(const std::string& key, const std::string& text, const std::string& source);
    static long long toInt(const std::string& key, const std::string& text, const std::string& source);
    static double toDouble(const std::string& key, const std::string& text, const std::string& source);
    static std::vector<std::string> toList(const std::string& text);
    static std::string trim(const std::string& text);

    /// Message of the form: configuration key http.port (from COMFYGATE_HTTP_PORT): ...
    static std::string describe(const std::string& key, const std::string& source,
                                const std::string& problem);
};

} // namespace comfygate
