#include "CommandLine.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::CommandLine;
using Words = std::vector<std::string>;

namespace {

std::string parseError(const Words& args)
{
    try {
        CommandLine::parse(args);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class CommandLineTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CommandLineTest);
    CPPUNIT_TEST(testEmpty);
    CPPUNIT_TEST(testCommandAlone);
    CPPUNIT_TEST(testGlobalOptionsBeforeCommand);
    CPPUNIT_TEST(testPortAndDataDirMapToKeys);
    CPPUNIT_TEST(testSetParsing);
    CPPUNIT_TEST(testSetErrors);
    CPPUNIT_TEST(testMissingValues);
    CPPUNIT_TEST(testUnknownOption);
    CPPUNIT_TEST(testWordsAfterCommandVerbatim);
    CPPUNIT_TEST(testHelpAndVersion);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEmpty()
    {
        const auto line = CommandLine::parse({});
        CPPUNIT_ASSERT(line.command.empty());
        CPPUNIT_ASSERT(line.words.empty());
        CPPUNIT_ASSERT(line.overrides.empty());
        CPPUNIT_ASSERT(line.configFile.empty());
        CPPUNIT_ASSERT(!line.help && !line.version);
    }

    void testCommandAlone()
    {
        const auto line = CommandLine::parse({"serve"});
        CPPUNIT_ASSERT_EQUAL(std::string("serve"), line.command);
        CPPUNIT_ASSERT(line.words.empty());
    }

    void testGlobalOptionsBeforeCommand()
    {
        const auto line = CommandLine::parse({"--config", "/etc/comfygate.properties", "--set",
                                              "log.level=debug", "user", "add", "ann"});
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/comfygate.properties"), line.configFile);
        CPPUNIT_ASSERT_EQUAL(std::string("debug"), line.overrides.at("log.level"));
        CPPUNIT_ASSERT_EQUAL(std::string("user"), line.command);
        CPPUNIT_ASSERT(line.words == (Words{"add", "ann"}));
    }

    void testPortAndDataDirMapToKeys()
    {
        const auto line =
            CommandLine::parse({"--port", "9000", "--data-dir", "/srv/data", "serve"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), line.overrides.size());
        CPPUNIT_ASSERT_EQUAL(std::string("9000"), line.overrides.at("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/data"), line.overrides.at("data.dir"));
        // The later of --port and --set http.port wins.
        const auto later = CommandLine::parse({"--port", "1", "--set", "http.port=2"});
        CPPUNIT_ASSERT_EQUAL(std::string("2"), later.overrides.at("http.port"));
    }

    void testSetParsing()
    {
        const auto line =
            CommandLine::parse({"--set", "a.b=1=2", "--set", "empty=", "--set", "a.b2= x "});
        CPPUNIT_ASSERT_EQUAL(std::string("1=2"), line.overrides.at("a.b"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), line.overrides.at("empty"));
        CPPUNIT_ASSERT_EQUAL(std::string(" x "), line.overrides.at("a.b2"));
        CPPUNIT_ASSERT(line.command.empty());
    }

    void testSetErrors()
    {
        std::string message = parseError({"--set", "novalue"});
        CPPUNIT_ASSERT_MESSAGE(message,
                               contains(message, "key=value") && contains(message, "novalue"));
        message = parseError({"--set", "=value"});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "=value"));
        message = parseError({"--set"});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "--set"));
    }

    void testMissingValues()
    {
        for (const std::string option : {"--config", "--port", "--data-dir"}) {
            const std::string message = parseError({option});
            CPPUNIT_ASSERT_MESSAGE(option + ": " + message, contains(message, option));
        }
    }

    void testUnknownOption()
    {
        std::string message = parseError({"--bogus", "serve"});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "--bogus"));
        message = parseError({"-x"});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "-x"));
        message = parseError({"--port=80"});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "--port=80"));
    }

    void testWordsAfterCommandVerbatim()
    {
        const Words args{"--port", "1", "user", "set-password", "--set", "x",
                         "--help", "-", "",     "--port",       "9"};
        const auto line = CommandLine::parse(args);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), line.command);
        CPPUNIT_ASSERT(line.words == Words(args.begin() + 3, args.end()));
        CPPUNIT_ASSERT(!line.help);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), line.overrides.at("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), line.overrides.size());
    }

    void testHelpAndVersion()
    {
        CPPUNIT_ASSERT(CommandLine::parse({"--help"}).help);
        CPPUNIT_ASSERT(CommandLine::parse({"-h"}).help);
        CPPUNIT_ASSERT(CommandLine::parse({"--version"}).version);
        const auto line = CommandLine::parse({"--help", "user"});
        CPPUNIT_ASSERT(line.help);
        CPPUNIT_ASSERT_EQUAL(std::string("user"), line.command);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CommandLineTest);
