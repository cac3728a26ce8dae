#include "CliCommands.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <stdexcept>

using comfygate::CliCommand;
using comfygate::CliCommands;

namespace {

CliCommand command(const std::string& name, int exitCode = 0)
{
    CliCommand c;
    c.name = name;
    c.summary = "does " + name;
    c.usage = "comfygate " + name;
    c.run = [exitCode](const std::vector<std::string>& args, std::istream&, std::ostream& out,
                       std::ostream&) {
        out << args.size();
        return exitCode;
    };
    return c;
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class CliCommandsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CliCommandsTest);
    CPPUNIT_TEST(testAddAndFind);
    CPPUNIT_TEST(testDuplicateNamesBothOwners);
    CPPUNIT_TEST(testReservedNames);
    CPPUNIT_TEST(testInvalidCommands);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAddAndFind()
    {
        CliCommands commands;
        commands.add(command("user", 3), "auth");
        const CliCommand* found = commands.find("user");
        CPPUNIT_ASSERT(found != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("does user"), found->summary);
        std::istringstream in;
        std::ostringstream out, err;
        CPPUNIT_ASSERT_EQUAL(3, found->run({"add", "ann"}, in, out, err));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), out.str());
        CPPUNIT_ASSERT(commands.find("users") == nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), commands.all().size());
        CPPUNIT_ASSERT_EQUAL(std::string("auth"), commands.all().at("user").second);
    }

    void testDuplicateNamesBothOwners()
    {
        CliCommands commands;
        commands.add(command("user", 1), "auth");
        try {
            commands.add(command("user", 2), "presets");
            CPPUNIT_FAIL("a duplicate command was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "auth"));
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "presets"));
        }
        std::istringstream in;
        std::ostringstream out, err;
        CPPUNIT_ASSERT_EQUAL(1, commands.find("user")->run({}, in, out, err));
    }

    void testReservedNames()
    {
        CliCommands commands;
        for (const std::string name :
             {"serve", "migrate", "modules", "policy", "completion", "help", "version"}) {
            CPPUNIT_ASSERT_MESSAGE(name, CliCommands::isReserved(name));
            try {
                commands.add(command(name), "rogue");
                CPPUNIT_FAIL("reserved command " + name + " was accepted");
            } catch (const std::logic_error& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), name));
                CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "rogue"));
            }
        }
        CPPUNIT_ASSERT(!CliCommands::isReserved("user"));
        CPPUNIT_ASSERT(commands.all().empty());
    }

    void testInvalidCommands()
    {
        CliCommands commands;
        CPPUNIT_ASSERT_THROW(commands.add(command(""), "m"), std::logic_error);
        auto noRun = command("models");
        noRun.run = nullptr;
        CPPUNIT_ASSERT_THROW(commands.add(noRun, "m"), std::logic_error);
        CPPUNIT_ASSERT(commands.all().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliCommandsTest);
