#include "FileRef.h"
#include "UploadRoutes.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::FileRef;
using comfygate::comfyproxy::UploadRoutes;

class FileRefTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FileRefTest);
    CPPUNIT_TEST(viewDefaultsToOutput);
    CPPUNIT_TEST(annotationOverridesTypeLikeComfyUI);
    CPPUNIT_TEST(onlyTheLastElementOfTheNameIsTheFile);
    CPPUNIT_TEST(subfolderIsNormalised);
    CPPUNIT_TEST(unsafeReferencesAreRefused);
    CPPUNIT_TEST(workflowValuesCarryTheirSubfolder);
    CPPUNIT_TEST(viewQueryIsCanonicalAndEncoded);
    CPPUNIT_TEST(uploadFolderIsTheUsersOwn);
    CPPUNIT_TEST_SUITE_END();

public:
    void viewDefaultsToOutput()
    {
        const auto ref = FileRef::fromView("a.png", std::nullopt, std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string("output"), ref.type);
        CPPUNIT_ASSERT_EQUAL(std::string(""), ref.subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("a.png"), ref.filename);
    }

    void annotationOverridesTypeLikeComfyUI()
    {
        auto ref = FileRef::fromView("a.png [temp]", std::string("output"), std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string("temp"), ref.type);
        CPPUNIT_ASSERT_EQUAL(std::string("a.png"), ref.filename);
        // ComfyUI cuts the suffix and one more character, whatever it is.
        ref = FileRef::fromView("a.png_[input]", std::nullopt, std::nullopt);
        CPPUNIT_ASSERT_EQUAL(std::string("input"), ref.type);
        CPPUNIT_ASSERT_EQUAL(std::string("a.png"), ref.filename);
        CPPUNIT_ASSERT_EQUAL(std::string("output"), FileRef::annotation("x [output]"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), FileRef::annotation("x [models]"));
    }

    void onlyTheLastElementOfTheNameIsTheFile()
    {
        const auto ref = FileRef::fromView("bob/x.png", std::nullopt, std::string("alice"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), ref.subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("x.png"), ref.filename);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), ref.topFolder());
    }

    void subfolderIsNormalised()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("a/b/c"), FileRef::normaliseFolder("a//b/./c/"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), FileRef::normaliseFolder("./"));
        CPPUNIT_ASSERT_EQUAL(std::string("u1"),
                             FileRef::fromView("x.png", std::nullopt, std::string("u1/sub")).topFolder());
    }

    void unsafeReferencesAreRefused()
    {
        for (const auto& [name, subfolder] :
             std::vector<std::pair<std::string, std::string>>{{"../x.png", ""},
                                                              {"/etc/passwd", ""},
                                                              {"x.png", "../bob"},
                                                              {"x.png", "a/../../b"},
                                                              {"x.png", "/abs"},
                                                              {"x.png", "a\\b"},
                                                              {std::string("a\0b", 3), ""},
                                                              {"a\nb", ""},
                                                              {"", ""},
                                                              {" [output]", ""},
                                                              {"x/..", ""}}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(name + " in " + subfolder, FileRef::fromView(name, std::nullopt, subfolder),
                                         FileRef::Invalid);
        }
        CPPUNIT_ASSERT_THROW(FileRef::fromView("x.png", std::string("models"), std::nullopt), FileRef::Invalid);
        CPPUNIT_ASSERT(!FileRef::isPlainName(".."));
        CPPUNIT_ASSERT(!FileRef::isPlainName("a/b"));
        CPPUNIT_ASSERT(FileRef::isPlainName("cat (1).png"));
    }

    void workflowValuesCarryTheirSubfolder()
    {
        auto ref = FileRef::fromWorkflowValue("pets/cat.png", "input");
        CPPUNIT_ASSERT_EQUAL(std::string("input"), ref.type);
        CPPUNIT_ASSERT_EQUAL(std::string("pets"), ref.subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("cat.png"), ref.filename);
        ref = FileRef::fromWorkflowValue("u1/ComfyUI_00001_.png [output]", "input");
        CPPUNIT_ASSERT_EQUAL(std::string("output"), ref.type);
        CPPUNIT_ASSERT_EQUAL(std::string("u1"), ref.subfolder);
        CPPUNIT_ASSERT_THROW(FileRef::fromWorkflowValue("u1/../u2/x.png", "input"), FileRef::Invalid);
    }

    void viewQueryIsCanonicalAndEncoded()
    {
        const auto ref = FileRef::fromView("my cat&dog.png", std::string("input"), std::string("u1//pets/"));
        CPPUNIT_ASSERT_EQUAL(std::string("filename=my%20cat%26dog.png&type=input&subfolder=u1%2Fpets"),
                             ref.viewQuery());
        CPPUNIT_ASSERT_EQUAL(std::string("input/u1/pets/my cat&dog.png"), ref.describe());
    }

    void uploadFolderIsTheUsersOwn()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("u1"), UploadRoutes::userFolder("u1", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("u1/pets"), UploadRoutes::userFolder("u1", "pets/"));
        CPPUNIT_ASSERT_EQUAL(std::string("u1/pets"), UploadRoutes::userFolder("u1", "u1/pets"));
        CPPUNIT_ASSERT_EQUAL(std::string("u1/u2/pets"), UploadRoutes::userFolder("u1", "u2/pets"));
        CPPUNIT_ASSERT_EQUAL(std::string("u1/u10"), UploadRoutes::userFolder("u1", "u10"));
        CPPUNIT_ASSERT_THROW(UploadRoutes::userFolder("u1", "../u2"), FileRef::Invalid);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileRefTest);
