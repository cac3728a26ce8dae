#pragma once

#include <Poco/JSON/Object.h>

#include <map>
#include <string>
#include <vector>

namespace comfygate::presets {

/// The UI languages the server ships (share/lang/<code>.json, compiled in): each file is
/// {"code", "name", "local_name", "keys": {text → translation}}. A language answers every key
/// English has: what it does not translate falls back to English. Lookups never touch the
/// file system, so no code can name a file outside share/lang. Immutable, thread safe.
class LanguageCatalog
{
public:
    static constexpr const char* fallbackCode = "en";

    /// `filesByCode`: code → the file's JSON text. Throws std::invalid_argument for a file that
    /// is not a language, a code that does not match its file, or a missing English.
    explicit LanguageCatalog(const std::map<std::string, std::string>& filesByCode);

    /// The embedded share/lang/*.json files by code.
    static std::map<std::string, std::string> embeddedFiles();

    /// A language code as the routes accept it: 2 or 3 letters, optionally `-` or `_` and 2 to 8
    /// letters or digits ("de", "pt-br", "zh_cn"); anything else, paths above all, is not one.
    static bool isValidCode(const std::string& code);

    struct Language
    {
        std::string code;
        std::string name;      ///< in English
        std::string localName; ///< in the language itself
    };
    /// Every language, by code.
    std::vector<Language> languages() const;
    bool has(const std::string& code) const { return _languages.count(code) != 0; }

    /// SwarmUI's `language` answer {code, name, local_name, keys}, English filling the keys
    /// the language lacks; nullptr for a code the catalog does not have.
    Poco::JSON::Object::Ptr find(const std::string& code) const;

private:
    struct Entry
    {
        Language language;
        std::map<std::string, std::string> keys;
    };
    std::map<std::string, Entry> _languages;
};

} // namespace comfygate::presets
