#include "LanguageCatalog.h"

#include "ShareFiles.h"

#include <Poco/JSON/Parser.h>
#include <Poco/RegularExpression.h>

#include <stdexcept>

namespace comfygate::presets {
namespace {

const std::string langDir = "lang/";
const std::string langSuffix = ".json";

} // namespace

LanguageCatalog::LanguageCatalog(const std::map<std::string, std::string>& filesByCode)
{
    for (const auto& [code, text] : filesByCode) {
        Entry entry;
        try {
            const auto root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
            entry.language = {root->getValue<std::string>("code"), root->getValue<std::string>("name"),
                              root->getValue<std::string>("local_name")};
            if (const auto keys = root->getObject("keys"))
                for (const auto& [key, value] : *keys)
                    entry.keys[key] = value.convert<std::string>();
        } catch (const Poco::Exception& e) {
            throw std::invalid_argument("language " + code + ": not a language file: " + e.displayText());
        }
        if (entry.language.code != code || !isValidCode(code))
            throw std::invalid_argument("language file " + code + " says its code is '" + entry.language.code + "'");
        _languages.emplace(code, std::move(entry));
    }
    if (!_languages.count(fallbackCode))
        throw std::invalid_argument(std::string("the languages must include ") + fallbackCode);
}

std::map<std::string, std::string> LanguageCatalog::embeddedFiles()
{
    std::map<std::string, std::string> files;
    for (const auto& [path, text] : comfygate::presets::shareFiles()) {
        if (path.rfind(langDir, 0) == 0 && path.size() > langDir.size() + langSuffix.size() &&
            path.compare(path.size() - langSuffix.size(), langSuffix.size(), langSuffix) == 0)
            files.emplace(path.substr(langDir.size(), path.size() - langDir.size() - langSuffix.size()), text);
    }
    return files;
}

bool LanguageCatalog::isValidCode(const std::string& code)
{
    static const Poco::RegularExpression pattern("^[a-z]{2,3}([-_][a-z0-9]{2,8})?$");
    return code.size() <= 12 && pattern.match(code);
}

std::vector<LanguageCatalog::Language> LanguageCatalog::languages() const
{
    std::vector<Language> out;
    for (const auto& [code, entry] : _languages)
        out.push_back(entry.language);
    return out;
}

Poco::JSON::Object::Ptr LanguageCatalog::find(const std::string& code) const
{
    const auto found = _languages.find(code);
    if (found == _languages.end())
        return nullptr;
    const Entry& english = _languages.at(fallbackCode);
    Poco::JSON::Object::Ptr keys = new Poco::JSON::Object;
    for (const auto& [key, value] : english.keys)
        keys->set(key, value);
    for (const auto& [key, value] : found->second.keys)
        keys->set(key, value);
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("code", found->second.language.code);
    answer->set("name", found->second.language.name);
    answer->set("local_name", found->second.language.localName);
    answer->set("keys", keys);
    return answer;
}

} // namespace comfygate::presets
