#include "TransferState.h"
#include "SourceResolver.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

using comfygate::modeldownload::ResolvedFile;
using comfygate::modeldownload::TransferState;
using comfygate::test::TempDir;

namespace {

ResolvedFile sampleFile()
{
    ResolvedFile file;
    file.downloadUrl = "https://civitai.com/api/download/models/12?fileId=34";
    file.pin = "34";
    file.size = 123456789012;
    file.sha256 = std::string(64, 'a');
    file.apiKey = "secret-key";
    return file;
}

} // namespace

class TransferStateTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(TransferStateTest);
    CPPUNIT_TEST(testRoundTrip);
    CPPUNIT_TEST(testSameFileAs);
    CPPUNIT_TEST(testNeverStoresTheKey);
    CPPUNIT_TEST(testMissingOrBrokenFileIsNoState);
    CPPUNIT_TEST(testSaveReplacesAtomically);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRoundTrip()
    {
        TempDir dir;
        TransferState state = TransferState::describing(sampleFile());
        state.etag = "abc-123";
        state.bytes = 4096;
        const std::filesystem::path path = dir.file("m.safetensors.part.json");
        state.save(path);
        const auto loaded = TransferState::load(path);
        CPPUNIT_ASSERT(loaded.has_value());
        CPPUNIT_ASSERT_EQUAL(state.url, loaded->url);
        CPPUNIT_ASSERT_EQUAL(state.pin, loaded->pin);
        CPPUNIT_ASSERT_EQUAL(state.size, loaded->size);
        CPPUNIT_ASSERT_EQUAL(state.sha256, loaded->sha256);
        CPPUNIT_ASSERT_EQUAL(std::string("abc-123"), loaded->etag);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(4096), loaded->bytes);
        CPPUNIT_ASSERT(loaded->sameFileAs(sampleFile()));
    }

    void testSameFileAs()
    {
        const TransferState state = TransferState::describing(sampleFile());
        ResolvedFile other = sampleFile();
        other.pin = "35"; // another listing of the very same bytes
        CPPUNIT_ASSERT(state.sameFileAs(other));
        other = sampleFile();
        other.sha256 = std::string(64, 'b');
        CPPUNIT_ASSERT(!state.sameFileAs(other));
        other = sampleFile();
        other.size = 1;
        CPPUNIT_ASSERT(!state.sameFileAs(other));
        other = sampleFile();
        other.downloadUrl = "https://storage.example/fresh-signed-link"; // same content, new link
        CPPUNIT_ASSERT(state.sameFileAs(other));
        other = sampleFile();
        other.sha256.clear(); // a hash vanished: not provably the same bytes
        CPPUNIT_ASSERT(!state.sameFileAs(other));

        ResolvedFile unhashed = sampleFile();
        unhashed.sha256.clear();
        const TransferState byUrl = TransferState::describing(unhashed);
        CPPUNIT_ASSERT(byUrl.sameFileAs(unhashed));
        unhashed.downloadUrl += "&x=1";
        CPPUNIT_ASSERT(!byUrl.sameFileAs(unhashed));
        unhashed = sampleFile();
        unhashed.sha256.clear();
        unhashed.pin = "35";
        CPPUNIT_ASSERT(!byUrl.sameFileAs(unhashed));

        ResolvedFile small = sampleFile();
        small.sha256.clear();
        small.gitBlobSha1 = std::string(40, 'c');
        const TransferState byGitSha1 = TransferState::describing(small);
        small.downloadUrl = "https://elsewhere.example/x";
        CPPUNIT_ASSERT(byGitSha1.sameFileAs(small));
        small.gitBlobSha1 = std::string(40, 'd');
        CPPUNIT_ASSERT(!byGitSha1.sameFileAs(small));
        other = sampleFile();
        other.apiKey = "another key"; // the key is no part of the file's identity
        CPPUNIT_ASSERT(state.sameFileAs(other));
    }

    void testNeverStoresTheKey()
    {
        TempDir dir;
        const std::filesystem::path path = dir.file("s.json");
        TransferState::describing(sampleFile()).save(path);
        std::ifstream in(path);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CPPUNIT_ASSERT(text.find("secret-key") == std::string::npos);
        struct stat info
        {
        };
        CPPUNIT_ASSERT_EQUAL(0, ::stat(path.c_str(), &info));
        CPPUNIT_ASSERT_EQUAL(0600u, static_cast<unsigned>(info.st_mode & 0777));
    }

    void testMissingOrBrokenFileIsNoState()
    {
        TempDir dir;
        CPPUNIT_ASSERT(!TransferState::load(dir.file("missing.json")).has_value());
        CPPUNIT_ASSERT(!TransferState::load(dir.write("broken.json", "{\"version\":1,")).has_value());
        CPPUNIT_ASSERT(!TransferState::load(dir.write("other.json", "{\"version\":99}")).has_value());
        CPPUNIT_ASSERT(!TransferState::load(dir.write("array.json", "[1,2]")).has_value());
    }

    void testSaveReplacesAtomically()
    {
        TempDir dir;
        const std::filesystem::path path = dir.file("s.json");
        TransferState state = TransferState::describing(sampleFile());
        state.save(path);
        state.bytes = 99;
        state.save(path);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(99), TransferState::load(path)->bytes);
        std::size_t entries = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
            (void)entry;
            ++entries;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries); // no temp file left behind
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransferStateTest);
