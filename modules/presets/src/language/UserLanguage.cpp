#include "UserLanguage.h"

namespace comfygate::presets {

std::string UserLanguage::languageOf(const std::string& userId) const
{
    const Poco::Dynamic::Var value = _settings.valueOf(userId, "Language");
    const std::string code = value.isString() ? value.extract<std::string>() : std::string();
    return _catalog.has(code) ? code : LanguageCatalog::fallbackCode;
}

} // namespace comfygate::presets
