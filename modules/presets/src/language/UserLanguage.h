#pragma once

#include "LanguageCatalog.h"
#include "UserSettings.h"

#include <string>

namespace comfygate::presets {

/// A user's UI language: their `Language` setting (after the operator's default), or English
/// when that names a language the server does not ship. GetMyUserData's `language` uses it.
class UserLanguage
{
public:
    UserLanguage(UserSettings& settings, const LanguageCatalog& catalog) : _settings(settings), _catalog(catalog) {}

    std::string languageOf(const std::string& userId) const;

private:
    UserSettings& _settings;
    const LanguageCatalog& _catalog;
};

} // namespace comfygate::presets
