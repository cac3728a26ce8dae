// PolicyFiles: the policy directory as the console sees it (names, sizes, one file's text)
// and reload errors split into file, line and message.
#include "PolicyFiles.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>

using comfygate::PolicyFiles;

class PolicyFilesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyFilesTest);
    CPPUNIT_TEST(listsScriptsAndLibrariesOnly);
    CPPUNIT_TEST(readsOnlyListedNames);
    CPPUNIT_TEST(splitsErrorsIntoFileLineAndMessage);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        Poco::File(_dir.file("lib")).createDirectories();
        _dir.write("nsfw.lua", "policy.on('view', function() end)\n");
        _dir.write("lib/words.lua", "return {}\n");
        _dir.write("notes.txt", "not a policy\n");
        _outside.write("secret.lua", "return 'outside'\n");
    }

    void listsScriptsAndLibrariesOnly()
    {
        const auto files = PolicyFiles(_dir.path()).list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), files.size());
        CPPUNIT_ASSERT_EQUAL(std::string("lib/words.lua"), files[0].name);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(10), files[0].size);
        CPPUNIT_ASSERT_EQUAL(std::string("nsfw.lua"), files[1].name);
        CPPUNIT_ASSERT(files[1].modified > 0);
    }

    void readsOnlyListedNames()
    {
        const PolicyFiles files(_dir.path());
        CPPUNIT_ASSERT_EQUAL(std::string("return {}\n"), files.read("lib/words.lua").value_or("?"));
        for (const std::string& name :
             {std::string("notes.txt"), std::string("../secret.lua"), std::string("lib/../nsfw.lua"),
              _outside.file("secret.lua"), std::string(""), std::string("lib")})
            CPPUNIT_ASSERT_MESSAGE(name, !files.read(name));
    }

    void splitsErrorsIntoFileLineAndMessage()
    {
        auto located = PolicyFiles::parseError("nsfw.lua:12: unexpected symbol near '='");
        CPPUNIT_ASSERT_EQUAL(std::string("nsfw.lua"), located.file);
        CPPUNIT_ASSERT_EQUAL(12, located.line.value_or(0));
        CPPUNIT_ASSERT_EQUAL(std::string("unexpected symbol near '='"), located.message);

        auto library = PolicyFiles::parseError("lib/words.lua:3: attempt to call a nil value");
        CPPUNIT_ASSERT_EQUAL(std::string("lib/words.lua"), library.file);
        CPPUNIT_ASSERT_EQUAL(3, library.line.value_or(0));

        auto named = PolicyFiles::parseError("big.lua: larger than 1048576 bytes");
        CPPUNIT_ASSERT_EQUAL(std::string("big.lua"), named.file);
        CPPUNIT_ASSERT(!named.line);

        auto other = PolicyFiles::parseError("cannot create a Lua state: out of memory");
        CPPUNIT_ASSERT(other.file.empty());
        CPPUNIT_ASSERT(!other.line);
        CPPUNIT_ASSERT_EQUAL(std::string("cannot create a Lua state: out of memory"), other.message);
    }

private:
    comfygate::test::TempDir _dir;
    comfygate::test::TempDir _outside;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyFilesTest);
