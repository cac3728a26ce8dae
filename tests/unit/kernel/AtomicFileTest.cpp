#include "comfygate/AtomicFile.h"
#include "TempDir.h"

#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <stdexcept>
#include <sys/stat.h>
#include <vector>

using comfygate::AtomicFile;
using comfygate::test::TempDir;

namespace {

std::string read(const std::string& path)
{
    Poco::FileInputStream in(path);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    return text;
}

struct stat statOf(const std::string& path)
{
    struct stat info
    {
    };
    CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 0, ::stat(path.c_str(), &info));
    return info;
}

std::vector<std::string> entries(const std::string& directory)
{
    std::vector<std::string> names;
    Poco::File(directory).list(names);
    return names;
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class AtomicFileTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AtomicFileTest);
    CPPUNIT_TEST(testWritesContent);
    CPPUNIT_TEST(testModeApplied);
    CPPUNIT_TEST(testModeNotNarrowedByUmask);
    CPPUNIT_TEST(testReplacesExisting);
    CPPUNIT_TEST(testEmptyAndBinaryContent);
    CPPUNIT_TEST(testNoTemporaryFileLeft);
    CPPUNIT_TEST(testMissingDirectoryNamed);
    CPPUNIT_TEST(testFailureLeavesNoTemporaryFile);
    CPPUNIT_TEST(testSyncDirectory);
    CPPUNIT_TEST_SUITE_END();

public:
    void testWritesContent()
    {
        TempDir dir;
        const std::string path = dir.file("state.json");
        AtomicFile::write(path, "{\"a\":1}\n");
        CPPUNIT_ASSERT_EQUAL(std::string("{\"a\":1}\n"), read(path));
    }

    void testModeApplied()
    {
        TempDir dir;
        const std::string secret = dir.file("key");
        AtomicFile::write(secret, "k", 0600);
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(statOf(secret).st_mode & 07777));
        const std::string plain = dir.file("plain");
        AtomicFile::write(plain, "p");
        CPPUNIT_ASSERT_EQUAL(0644u, static_cast<unsigned>(statOf(plain).st_mode & 07777));
    }

    void testModeNotNarrowedByUmask()
    {
        TempDir dir;
        const mode_t previous = ::umask(077);
        const std::string path = dir.file("shared");
        try {
            AtomicFile::write(path, "x", 0644);
        } catch (...) {
            ::umask(previous);
            throw;
        }
        ::umask(previous);
        CPPUNIT_ASSERT_EQUAL(0644u, static_cast<unsigned>(statOf(path).st_mode & 07777));
    }

    void testReplacesExisting()
    {
        TempDir dir;
        const std::string path =
            dir.write("data.txt", "old content that is longer than the new one");
        const ino_t before = statOf(path).st_ino;
        AtomicFile::write(path, "new", 0600);
        CPPUNIT_ASSERT_EQUAL(std::string("new"), read(path));
        // Replaced by rename, not rewritten in place: a reader holding the old file keeps it.
        CPPUNIT_ASSERT(statOf(path).st_ino != before);
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(statOf(path).st_mode & 07777));
    }

    void testEmptyAndBinaryContent()
    {
        TempDir dir;
        const std::string path = dir.file("blob");
        AtomicFile::write(path, "");
        CPPUNIT_ASSERT_EQUAL(std::string(), read(path));
        std::string binary(70000, '\0');
        for (std::size_t i = 0; i < binary.size(); ++i)
            binary[i] = static_cast<char>(i * 7);
        AtomicFile::write(path, binary);
        CPPUNIT_ASSERT(read(path) == binary);
    }

    void testNoTemporaryFileLeft()
    {
        TempDir dir;
        AtomicFile::write(dir.file("one"), "1");
        AtomicFile::write(dir.file("one"), "2");
        AtomicFile::write(dir.file("two"), "3");
        auto names = entries(dir.path());
        std::sort(names.begin(), names.end());
        CPPUNIT_ASSERT(names == (std::vector<std::string>{"one", "two"}));
    }

    void testMissingDirectoryNamed()
    {
        TempDir dir;
        const std::string path = dir.file("missing/sub/file.txt");
        try {
            AtomicFile::write(path, "x");
            CPPUNIT_FAIL("writing into a missing directory succeeded");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), path));
        }
        CPPUNIT_ASSERT(entries(dir.path()).empty());
    }

    void testFailureLeavesNoTemporaryFile()
    {
        TempDir dir;
        // The target is a non-empty directory: the temp file is written, the rename fails.
        dir.write("target/inside.txt", "keep");
        const std::string path = dir.file("target");
        try {
            AtomicFile::write(path, "x");
            CPPUNIT_FAIL("replacing a directory succeeded");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), path));
        }
        CPPUNIT_ASSERT(entries(dir.path()) == (std::vector<std::string>{"target"}));
        CPPUNIT_ASSERT_EQUAL(std::string("keep"), read(dir.file("target/inside.txt")));
    }

    void testSyncDirectory()
    {
        TempDir dir;
        CPPUNIT_ASSERT_NO_THROW(AtomicFile::syncDirectory(dir.path()));
        const std::string missing = dir.file("nope");
        try {
            AtomicFile::syncDirectory(missing);
            CPPUNIT_FAIL("syncing a missing directory succeeded");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), missing));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AtomicFileTest);
