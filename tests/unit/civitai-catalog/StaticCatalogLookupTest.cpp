// StaticCatalogLookup over models.json / loras.json (§2.7): lookups by version id, SHA-256 and
// AutoV2, on-disk state by file and hash, re-reading a changed export, and entries that
// would point outside the models root.
#include "StaticCatalogLookup.h"
#include "TempDir.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <thread>

using comfygate::civitaicatalog::StaticCatalogLookup;
using Poco::JSON::Array;
using Poco::JSON::Object;
namespace fs = std::filesystem;

namespace {

std::string sha256(const std::string& content)
{
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(content);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

void write(const fs::path& path, const std::string& content)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

Object::Ptr entry(const std::string& file, const std::string& dest, int versionId, const std::string& hash)
{
    Object::Ptr json = new Object;
    json->set("name", file + " [test]");
    json->set("file", file);
    json->set("dest", dest);
    json->set("source", "civitai");
    json->set("size_gb", 0.0);
    json->set("civitai_version_id", versionId);
    if (!hash.empty())
        json->set("hash", hash);
    return json;
}

void writeCatalog(const fs::path& path, const std::vector<Object::Ptr>& entries)
{
    Array::Ptr models = new Array;
    for (const auto& item : entries)
        models->add(item);
    Object::Ptr category = new Object;
    category->set("id", "loras");
    category->set("name", "LoRAs");
    category->set("models", models);
    Array::Ptr categories = new Array;
    categories->add(category);
    Object root;
    root.set("version", 1);
    root.set("date", "2026-12-07 10:00");
    root.set("categories", categories);
    std::ofstream out(path);
    root.stringify(out);
}

} // namespace

class StaticCatalogLookupTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(StaticCatalogLookupTest);
    CPPUNIT_TEST(findsEntriesByVersionAndHash);
    CPPUNIT_TEST(onDiskNeedsTheFileAndItsHash);
    CPPUNIT_TEST(aChangedExportIsReRead);
    CPPUNIT_TEST(entriesOutsideTheModelsRootAreNeverOnDisk);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _content = "lora bytes";
        write(fs::path(_models.path()) / "loras" / "a.safetensors", _content);
        write(fs::path(_models.path()) / "loras" / "b.safetensors", "changed bytes");
        writeCatalog(fs::path(_catalog.path()) / "loras.json",
                     {entry("a.safetensors", "loras", 11, Poco::toUpper(sha256(_content))),
                      entry("b.safetensors", "loras", 12, sha256(_content)), entry("c.safetensors", "loras", 13, ""),
                      entry("d.safetensors", "loras", 0, sha256("d"))});
        writeCatalog(fs::path(_catalog.path()) / "models.json", {entry("m.safetensors", "checkpoints", 21, "")});
    }

    void findsEntriesByVersionAndHash()
    {
        StaticCatalogLookup lookup(_catalog.path(), _models.path());
        const auto a = lookup.byVersionId(11);
        CPPUNIT_ASSERT(a);
        CPPUNIT_ASSERT_EQUAL(std::string("a.safetensors"), a->file);
        CPPUNIT_ASSERT_EQUAL(std::string("loras"), a->catalog);
        CPPUNIT_ASSERT_EQUAL(sha256(_content), a->sha256);
        CPPUNIT_ASSERT_EQUAL(std::string("models"), lookup.byVersionId(21)->catalog);
        CPPUNIT_ASSERT(!lookup.byVersionId(99));
        CPPUNIT_ASSERT(!lookup.byVersionId(0));
        CPPUNIT_ASSERT_EQUAL(std::string("d.safetensors"), lookup.bySha256(Poco::toUpper(sha256("d")))->file);
        CPPUNIT_ASSERT_EQUAL(std::string("d.safetensors"), lookup.bySha256(sha256("d").substr(0, 10))->file);
        CPPUNIT_ASSERT(!lookup.bySha256(sha256("d").substr(0, 9)));
        CPPUNIT_ASSERT(!lookup.bySha256(sha256("nothing")));
    }

    void onDiskNeedsTheFileAndItsHash()
    {
        StaticCatalogLookup lookup(_catalog.path(), _models.path() + "/");
        CPPUNIT_ASSERT(lookup.byVersionId(11)->onDisk);  // file and hash match
        CPPUNIT_ASSERT(!lookup.byVersionId(12)->onDisk); // file with other bytes
        CPPUNIT_ASSERT(!lookup.byVersionId(13)->onDisk); // no file
        write(fs::path(_models.path()) / "loras" / "c.safetensors", "x");
        CPPUNIT_ASSERT(lookup.byVersionId(13)->onDisk); // no hash to check: the file is enough
    }

    void aChangedExportIsReRead()
    {
        StaticCatalogLookup lookup(_catalog.path(), _models.path());
        CPPUNIT_ASSERT(!lookup.byVersionId(31));
        const fs::path path = fs::path(_catalog.path()) / "models.json";
        writeCatalog(path, {entry("n.safetensors", "checkpoints", 31, "")});
        fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
        CPPUNIT_ASSERT_EQUAL(std::string("n.safetensors"), lookup.byVersionId(31)->file);
        CPPUNIT_ASSERT(!lookup.byVersionId(21));
        fs::remove(path);
        CPPUNIT_ASSERT(!lookup.byVersionId(31));
    }

    void entriesOutsideTheModelsRootAreNeverOnDisk()
    {
        write(fs::path(_catalog.path()) / "secret.bin", "secret");
        writeCatalog(fs::path(_catalog.path()) / "models.json",
                     {entry("secret.bin", "../" + fs::path(_catalog.path()).filename().string(), 41, "")});
        StaticCatalogLookup lookup(_catalog.path(), _models.path());
        const auto escaped = lookup.byVersionId(41);
        CPPUNIT_ASSERT(escaped);
        CPPUNIT_ASSERT(!escaped->onDisk);
    }

private:
    comfygate::test::TempDir _catalog;
    comfygate::test::TempDir _models;
    std::string _content;
};

CPPUNIT_TEST_SUITE_REGISTRATION(StaticCatalogLookupTest);
