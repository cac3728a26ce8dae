#include "FileDigest.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using comfygate::modeldownload::FileDigest;
using comfygate::test::TempDir;

class FileDigestTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FileDigestTest);
    CPPUNIT_TEST(testKnownSha256);
    CPPUNIT_TEST(testIncrementalEqualsWhole);
    CPPUNIT_TEST(testGitBlobSha1);
    CPPUNIT_TEST(testCopyKeepsIndependentState);
    CPPUNIT_TEST(testSha256OfFile);
    CPPUNIT_TEST_SUITE_END();

public:
    void testKnownSha256()
    {
        FileDigest digest;
        CPPUNIT_ASSERT_EQUAL(std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                             digest.sha256Hex());
        digest.update("abc", 3);
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                             digest.sha256Hex());
        CPPUNIT_ASSERT_EQUAL(std::string(), digest.gitBlobSha1Hex());
    }

    void testIncrementalEqualsWhole()
    {
        FileDigest pieces;
        pieces.update("a", 1);
        pieces.update("bc", 2);
        FileDigest whole;
        whole.update("abc", 3);
        CPPUNIT_ASSERT_EQUAL(whole.sha256Hex(), pieces.sha256Hex());
    }

    void testGitBlobSha1()
    {
        // `printf 'hello\n' | git hash-object --stdin`
        FileDigest digest(6);
        digest.update("hello\n", 6);
        CPPUNIT_ASSERT_EQUAL(std::string("ce013625030ba8dba906f756967f9e9ca394464a"), digest.gitBlobSha1Hex());
        FileDigest empty(0);
        CPPUNIT_ASSERT_EQUAL(std::string("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"), empty.gitBlobSha1Hex());
    }

    void testCopyKeepsIndependentState()
    {
        FileDigest digest(3);
        digest.update("a", 1);
        const FileDigest snapshot = digest;
        digest.update("bc", 2);
        FileDigest restored(3);
        restored = snapshot;
        restored.update("bc", 2);
        CPPUNIT_ASSERT_EQUAL(digest.sha256Hex(), restored.sha256Hex());
        CPPUNIT_ASSERT_EQUAL(digest.gitBlobSha1Hex(), restored.gitBlobSha1Hex());
    }

    void testSha256OfFile()
    {
        TempDir dir;
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                             FileDigest::sha256OfFile(dir.write("f", "abc")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileDigestTest);
