// The web console's language files (share/www/console/lang/<area>.<code>.json) against its
// scripts: every text a script passes to t("...") or names as a page title or summary has a German
// translation in one of the areas' files, and every file has the shared-language format
// ({code, name, local_name, keys} with string values that keep the {placeholders}).
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {

const std::filesystem::path consoleDir = COMFYGATE_SOURCE_DIR "/share/www/console";

std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A JavaScript string literal's text (only the escapes the console uses: \" and \\).
std::string unescape(const std::string& literal)
{
    std::string text;
    for (std::size_t i = 0; i < literal.size(); ++i) {
        if (literal[i] == '\\' && i + 1 < literal.size())
            ++i;
        text += literal[i];
    }
    return text;
}

std::set<std::string> placeholders(const std::string& text)
{
    std::set<std::string> names;
    const std::regex placeholder("\\{(\\w+)\\}");
    for (std::sregex_iterator it(text.begin(), text.end(), placeholder), end; it != end; ++it)
        names.insert((*it)[1]);
    return names;
}

} // namespace

class ConsoleLanguageFilesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConsoleLanguageFilesTest);
    CPPUNIT_TEST(filesHaveTheSharedFormat);
    CPPUNIT_TEST(everyTextHasAGermanTranslation);
    CPPUNIT_TEST_SUITE_END();

public:
    void filesHaveTheSharedFormat()
    {
        int files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(consoleDir / "lang")) {
            const std::string name = entry.path().filename().string();
            std::smatch parts;
            CPPUNIT_ASSERT_MESSAGE(name, std::regex_match(name, parts, std::regex("(\\w+)\\.([a-z]{2,3})\\.json")));
            const auto file = Poco::JSON::Parser().parse(readFile(entry.path())).extract<Poco::JSON::Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, parts[2].str(), file->getValue<std::string>("code"));
            CPPUNIT_ASSERT_MESSAGE(name, !file->getValue<std::string>("name").empty());
            CPPUNIT_ASSERT_MESSAGE(name, !file->getValue<std::string>("local_name").empty());
            const auto keys = file->getObject("keys");
            CPPUNIT_ASSERT_MESSAGE(name, keys);
            for (const auto& [english, translated] : *keys) {
                CPPUNIT_ASSERT_MESSAGE(name + ": " + english, translated.isString());
                CPPUNIT_ASSERT_MESSAGE(name + ": the placeholders of \"" + english + "\" differ",
                                       placeholders(english) == placeholders(translated.extract<std::string>()));
            }
            ++files;
        }
        CPPUNIT_ASSERT(files >= 2);
    }

    void everyTextHasAGermanTranslation()
    {
        std::set<std::string> german;
        for (const auto& entry : std::filesystem::directory_iterator(consoleDir / "lang")) {
            if (entry.path().string().size() < 8 ||
                entry.path().string().substr(entry.path().string().size() - 8) != ".de.json")
                continue;
            const auto file = Poco::JSON::Parser().parse(readFile(entry.path())).extract<Poco::JSON::Object::Ptr>();
            for (const auto& [english, translated] : *file->getObject("keys"))
                german.insert(english);
        }
        const std::regex text("\\bt\\(\\s*\"((?:[^\"\\\\]|\\\\.)*)\"|\\b(?:title|summary): \"((?:[^\"\\\\]|\\\\.)*)\"");
        int texts = 0;
        std::string missing;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(consoleDir)) {
            if (entry.path().extension() != ".js")
                continue;
            const std::string source = readFile(entry.path());
            for (std::sregex_iterator it(source.begin(), source.end(), text), end; it != end; ++it) {
                const std::string english = unescape((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
                ++texts;
                if (!german.count(english))
                    missing += "\n  " + entry.path().filename().string() + ": \"" + english + "\"";
            }
        }
        CPPUNIT_ASSERT(texts > 50);
        CPPUNIT_ASSERT_MESSAGE("texts without a German translation (lang/<area>.de.json):" + missing, missing.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleLanguageFilesTest);
