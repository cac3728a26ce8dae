// UI languages: codes that could name a path are not codes, English fills what a language does
// not translate, and the shipped files (share/lang) are consistent.
#include "LanguageCatalog.h"
#include "ServerRoutes.h"
#include "SwarmPermissions.h"

#include "comfygate/SwarmApi.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::presets::LanguageCatalog;
using Files = std::map<std::string, std::string>;

namespace {

const std::string english = R"({"code": "en", "name": "English", "local_name": "English",
  "keys": {"Save": "Save", "PNG": "PNG"}})";
const std::string german =
    R"({"code": "de", "name": "German", "local_name": "Deutsch", "keys": {"Save": "Speichern"}})";

} // namespace

class LanguageCatalogTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LanguageCatalogTest);
    CPPUNIT_TEST(pathLikeCodesAreNotCodes);
    CPPUNIT_TEST(missingKeysFallBackToEnglish);
    CPPUNIT_TEST(inconsistentFilesAreRefused);
    CPPUNIT_TEST(theShippedLanguagesTranslateEveryEnglishKeyOrFallBack);
    CPPUNIT_TEST(installConfirmAlwaysRefuses);
    CPPUNIT_TEST(swarmTiersMapToRoles);
    CPPUNIT_TEST_SUITE_END();

public:
    void pathLikeCodesAreNotCodes()
    {
        for (const char* good : {"en", "de", "pt-br", "zh_cn", "fil"})
            CPPUNIT_ASSERT_MESSAGE(good, LanguageCatalog::isValidCode(good));
        for (const char* bad : {"", "e", "../../etc/passwd", "..", "en/../de", "en.json", "EN", "de%2f", "/de", "de\n",
                                "en-", "abcd", "de-abcdefghi", "de de"})
            CPPUNIT_ASSERT_MESSAGE(bad, !LanguageCatalog::isValidCode(bad));
    }

    void missingKeysFallBackToEnglish()
    {
        LanguageCatalog catalog({{"en", english}, {"de", german}});
        const auto de = catalog.find("de");
        CPPUNIT_ASSERT_EQUAL(std::string("Deutsch"), de->getValue<std::string>("local_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("Speichern"), de->getObject("keys")->getValue<std::string>("Save"));
        CPPUNIT_ASSERT_EQUAL(std::string("PNG"), de->getObject("keys")->getValue<std::string>("PNG"));
        CPPUNIT_ASSERT(catalog.find("fr").isNull());
        CPPUNIT_ASSERT(catalog.has("en"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), catalog.languages().size());
    }

    void inconsistentFilesAreRefused()
    {
        CPPUNIT_ASSERT_THROW(LanguageCatalog(Files{{"de", german}}), std::invalid_argument);             // no English
        CPPUNIT_ASSERT_THROW(LanguageCatalog({{"en", english}, {"fr", german}}), std::invalid_argument); // wrong code
        CPPUNIT_ASSERT_THROW(LanguageCatalog(Files{{"en", "[]"}}), std::invalid_argument);
    }

    void theShippedLanguagesTranslateEveryEnglishKeyOrFallBack()
    {
        LanguageCatalog catalog(LanguageCatalog::embeddedFiles());
        CPPUNIT_ASSERT(catalog.has("en"));
        CPPUNIT_ASSERT(catalog.has("de"));
        const auto en = catalog.find("en")->getObject("keys");
        const auto de = catalog.find("de")->getObject("keys");
        CPPUNIT_ASSERT_EQUAL(en->size(), de->size());
        CPPUNIT_ASSERT_EQUAL(std::string("Bildformat"), de->getValue<std::string>("Image Format"));
        CPPUNIT_ASSERT_EQUAL(std::string("DPI"), de->getValue<std::string>("DPI")); // not translated: English
    }

    void installConfirmAlwaysRefuses()
    {
        try {
            comfygate::presets::ServerRoutes::refuseInstall();
            CPPUNIT_FAIL("InstallConfirmWS did not refuse");
        } catch (const comfygate::swarm::Refusal& refusal) {
            CPPUNIT_ASSERT_EQUAL(std::string("already_installed"), refusal.errorId());
            CPPUNIT_ASSERT(std::string(refusal.what()).find("installed by its package") != std::string::npos);
        }
    }

    void swarmTiersMapToRoles()
    {
        using comfygate::presets::rolesOf;
        using comfygate::presets::SwarmTier;
        CPPUNIT_ASSERT(rolesOf(SwarmTier::Nobody) == std::vector<std::string>({"owner"}));
        CPPUNIT_ASSERT(rolesOf(SwarmTier::Admins) == std::vector<std::string>({"owner", "admin"}));
        CPPUNIT_ASSERT(rolesOf(SwarmTier::PowerUsers) == std::vector<std::string>({"owner", "admin", "power"}));
        CPPUNIT_ASSERT(rolesOf(SwarmTier::User) == std::vector<std::string>({"owner", "admin", "power", "user"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), rolesOf(SwarmTier::Guest).size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LanguageCatalogTest);
