#include "InstallLayout.h"
#include "PackagePaths.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>

using comfygate::InstallLayout;
using comfygate::test::TempDir;
namespace fs = std::filesystem;

namespace {

/// An installed tree under `root`: <root>/bin/comfygate and <root>/lib/comfygate/modules.
std::string installedTree(const TempDir& root)
{
    fs::create_directories(root.file(COMFYGATE_INSTALL_MODULEDIR));
    return root.write(COMFYGATE_INSTALL_BINDIR "/comfygate", "");
}

} // namespace

class InstallLayoutTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(InstallLayoutTest);
    CPPUNIT_TEST(testInstalledTreeIsFoundFromTheExecutable);
    CPPUNIT_TEST(testWithoutAModuleDirectoryItIsTheBuildTree);
    CPPUNIT_TEST(testExecutableOutsideABinDirectoryIsTheBuildTree);
    CPPUNIT_TEST(testBuildTreeBinaryUsesTheCheckout);
    CPPUNIT_TEST(testConfigFileOnlyWhenInstalledAndPresent);
    CPPUNIT_TEST_SUITE_END();

public:
    void testInstalledTreeIsFoundFromTheExecutable()
    {
        TempDir root;
        const auto layout = InstallLayout::forExecutable(installedTree(root));
        CPPUNIT_ASSERT(layout.installed());
        CPPUNIT_ASSERT_EQUAL(root.path(), layout.prefix());
        CPPUNIT_ASSERT_EQUAL(root.file(COMFYGATE_INSTALL_MODULEDIR), layout.moduleDir());
        CPPUNIT_ASSERT_EQUAL(root.file(COMFYGATE_INSTALL_SHAREDIR "/policy"), layout.policyDir());
        CPPUNIT_ASSERT_EQUAL(root.file(COMFYGATE_INSTALL_SHAREDIR "/www"), layout.wwwDir());
    }

    void testWithoutAModuleDirectoryItIsTheBuildTree()
    {
        TempDir root;
        const auto layout = InstallLayout::forExecutable(root.write(COMFYGATE_INSTALL_BINDIR "/comfygate", ""));
        CPPUNIT_ASSERT(!layout.installed());
        CPPUNIT_ASSERT_EQUAL(std::string(COMFYGATE_MODULE_DIR), layout.moduleDir());
        CPPUNIT_ASSERT_EQUAL(std::string(COMFYGATE_SOURCE_DIR "/scripts/policy"), layout.policyDir());
        CPPUNIT_ASSERT_EQUAL(std::string(COMFYGATE_SOURCE_DIR "/share/www"), layout.wwwDir());
        CPPUNIT_ASSERT_EQUAL(std::string(), layout.defaultConfigFile());
    }

    void testExecutableOutsideABinDirectoryIsTheBuildTree()
    {
        TempDir root;
        installedTree(root);
        // <root>/comfygate: its folder is not <prefix>/bin, whatever lies beside it.
        CPPUNIT_ASSERT(!InstallLayout::forExecutable(root.write("comfygate", "")).installed());
    }

    void testBuildTreeBinaryUsesTheCheckout()
    {
        const auto layout = InstallLayout::forExecutable(COMFYGATE_BINARY);
        CPPUNIT_ASSERT(!layout.installed());
        CPPUNIT_ASSERT_EQUAL(std::string(COMFYGATE_MODULE_DIR), layout.moduleDir());
    }

    void testConfigFileOnlyWhenInstalledAndPresent()
    {
        TempDir root;
        const auto layout = InstallLayout::forExecutable(installedTree(root));
        // COMFYGATE_INSTALL_CONFIG_FILE: absolute outside the prefix (/etc for /usr), else under it.
        const std::string relative = fs::relative(COMFYGATE_INSTALL_CONFIG_FILE, COMFYGATE_INSTALL_PREFIX).string();
        const std::string expected =
            relative.rfind("..", 0) == 0 ? std::string(COMFYGATE_INSTALL_CONFIG_FILE) : root.file(relative);
        if (expected.rfind(root.path(), 0) != 0) {
            // The system's file (e.g. /etc/comfygate/comfygate.properties): read when present.
            CPPUNIT_ASSERT_EQUAL(fs::is_regular_file(expected) ? expected : std::string(), layout.defaultConfigFile());
            return;
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), layout.defaultConfigFile());
        root.write(relative, "http.port = 1\n");
        CPPUNIT_ASSERT_EQUAL(expected, layout.defaultConfigFile());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(InstallLayoutTest);
