#include "ConsoleFiles.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <memory>
#include <vector>

using comfygate::ConsoleFiles;
using comfygate::test::TempDir;

class ConsoleFilesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConsoleFilesTest);
    CPPUNIT_TEST(pagesAreTheIndex);
    CPPUNIT_TEST(filesKeepTheirNameTypeAndTag);
    CPPUNIT_TEST(mediaTypesByExtension);
    CPPUNIT_TEST(pathsThatLeaveOrHideAreRefused);
    CPPUNIT_TEST(linksOutOfTheDirectoryAreRefused);
    CPPUNIT_TEST(missingDirectoryFindsNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<TempDir>();
        _dir->write("console/index.html", "<!DOCTYPE html>");
        _dir->write("console/app.js", "export {};");
        _dir->write("console/pages/home.js", "export default {};");
        _dir->write("console/.env", "SECRET=1");
        _dir->write("outside.js", "secret");
        _files = std::make_unique<ConsoleFiles>(_dir->file("console"));
    }

    void tearDown() override
    {
        _files.reset();
        _dir.reset();
    }

    void pagesAreTheIndex()
    {
        for (const std::string path : {"", "tokens", "admin/users", "pages"}) {
            const auto file = _files->find(path);
            CPPUNIT_ASSERT_MESSAGE(path, file.has_value());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string("index.html"), file->name);
        }
        CPPUNIT_ASSERT(ConsoleFiles::looksLikePage("admin/users"));
        CPPUNIT_ASSERT(!ConsoleFiles::looksLikePage("pages/home.js"));
        CPPUNIT_ASSERT(!ConsoleFiles::looksLikePage("missing.css"));
    }

    void filesKeepTheirNameTypeAndTag()
    {
        const auto file = _files->find("pages/home.js");
        CPPUNIT_ASSERT(file.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("pages/home.js"), file->name);
        CPPUNIT_ASSERT_EQUAL(std::string("export default {};"), file->body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/javascript; charset=utf-8"), file->contentType);
        CPPUNIT_ASSERT_EQUAL(std::size_t(34), file->etag.size());
        CPPUNIT_ASSERT(file->etag != _files->find("app.js")->etag);
        CPPUNIT_ASSERT_EQUAL(file->etag, _files->find("pages/home.js")->etag);
        CPPUNIT_ASSERT(!_files->find("pages/missing.js").has_value());
    }

    void mediaTypesByExtension()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("text/css; charset=utf-8"), ConsoleFiles::contentTypeOf("console.css"));
        CPPUNIT_ASSERT_EQUAL(std::string("image/svg+xml"), ConsoleFiles::contentTypeOf("icon.SVG"));
        CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"),
                             ConsoleFiles::contentTypeOf("lang/x.json"));
        CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), ConsoleFiles::contentTypeOf("archive.tar"));
        CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), ConsoleFiles::contentTypeOf("Makefile"));
    }

    void pathsThatLeaveOrHideAreRefused()
    {
        const std::vector<std::string> paths{
            "../outside.js",  "pages/../../outside.js",       "./app.js", ".env", "pages//home.js", "/app.js",
            "pages\\home.js", std::string("app.js\0x.js", 11)};
        for (const auto& path : paths)
            CPPUNIT_ASSERT_MESSAGE(path, !_files->find(path).has_value());
    }

    void linksOutOfTheDirectoryAreRefused()
    {
        std::filesystem::create_symlink(_dir->file("outside.js"), _dir->file("console/linked.js"));
        std::filesystem::create_symlink(_dir->path(), _dir->file("console/up"));
        std::filesystem::create_symlink(_dir->file("console/app.js"), _dir->file("console/alias.js"));
        CPPUNIT_ASSERT(!_files->find("linked.js").has_value());
        CPPUNIT_ASSERT(!_files->find("up/outside.js").has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("export {};"), _files->find("alias.js")->body);
    }

    void missingDirectoryFindsNothing()
    {
        ConsoleFiles none(_dir->file("no-such-dir"));
        CPPUNIT_ASSERT(!none.find("").has_value());
        CPPUNIT_ASSERT(!none.find("app.js").has_value());
    }

private:
    std::unique_ptr<TempDir> _dir;
    std::unique_ptr<ConsoleFiles> _files;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleFilesTest);
