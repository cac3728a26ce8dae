// The module loader's refusals, seen through the real binary: each broken fixture module
// must stop startup with a message naming the module and the cause.
#include "ServerProcess.h"
#include "TestPaths.h"
#include "comfygate/Abi.h"
#include <string>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::test::ServerProcess;

class ModuleLoaderTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ModuleLoaderTest);
    CPPUNIT_TEST(goodModulesAreListedWithTheirRegistrations);
    CPPUNIT_TEST(wrongAbiIsRefused);
    CPPUNIT_TEST(wrongBuildSignatureIsRefused);
    CPPUNIT_TEST(missingDependencyIsRefused);
    CPPUNIT_TEST(throwingStartIsRefused);
    CPPUNIT_TEST(duplicateRouteIsRefused);
    CPPUNIT_TEST(enabledModuleThatDoesNotExist);
    CPPUNIT_TEST(moduleCommandRuns);
    CPPUNIT_TEST(exampleModuleLoadsFromTheBuild);
    CPPUNIT_TEST_SUITE_END();

public:
    void goodModulesAreListedWithTheirRegistrations()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, run("fixture,fixture_auth", {"modules"}, out, err));
        CPPUNIT_ASSERT(out.find("fixture 1.0.0") != std::string::npos);
        CPPUNIT_ASSERT(out.find("route      POST /fixture/echo  [fixture_echo]") != std::string::npos);
        CPPUNIT_ASSERT(out.find("route      GET /api/fixture/items/{name}  [public]") != std::string::npos);
        CPPUNIT_ASSERT(out.find("permission fixture_echo") != std::string::npos);
        CPPUNIT_ASSERT(out.find("hook       fixture_hook") != std::string::npos);
        CPPUNIT_ASSERT(out.find("command    fixture") != std::string::npos);
    }

    void wrongAbiIsRefused()
    {
        // fixture_bad_abi declares the kernel's ABI + 41.
        expectRefusal("fixture_bad_abi", "fixture_bad_abi.so was built for module ABI " +
                                             std::to_string(COMFYGATE_ABI_VERSION + 41));
    }

    void wrongBuildSignatureIsRefused()
    {
        expectRefusal("fixture_bad_signature", "module 'fixture_bad_signature' (fixture_bad_signature.so) was built with");
    }

    void missingDependencyIsRefused()
    {
        expectRefusal("fixture_missing_dep", "module 'fixture_missing_dep' depends on module 'no_such_module'");
    }

    void throwingStartIsRefused()
    {
        expectRefusal("fixture_throwing_start", "module 'fixture_throwing_start' failed to start: fixture refuses to start");
    }

    void duplicateRouteIsRefused()
    {
        expectRefusal("fixture,fixture_duplicate_route",
                      "module 'fixture_duplicate_route' failed to start: route GET /fixture/ping is already registered by module 'fixture'");
    }

    void enabledModuleThatDoesNotExist() { expectRefusal("nope", "module 'nope' is listed in modules.enabled"); }

    void moduleCommandRuns()
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, run("fixture", {"fixture", "one", "two"}, out, err));
        CPPUNIT_ASSERT_EQUAL(std::string("one\ntwo\n"), out);
    }

    void exampleModuleLoadsFromTheBuild()
    {
        ServerProcess server(std::map<std::string, std::string>{{"modules.enabled", "example"}});
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, server.runCommand({"modules"}, out, err));
        CPPUNIT_ASSERT(out.find("route      GET /example/greeting  [example_greet]") != std::string::npos);
        CPPUNIT_ASSERT(out.find("hook       greeting") != std::string::npos);
    }

private:
    int run(const std::string& enabled, const std::vector<std::string>& words, std::string& out, std::string& err)
    {
        ServerProcess server({{"modules.dir", COMFYGATE_TEST_MODULE_DIR}, {"modules.enabled", enabled}});
        return server.runCommand(words, out, err);
    }

    void expectRefusal(const std::string& enabled, const std::string& message)
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(1, run(enabled, {"modules"}, out, err));
        CPPUNIT_ASSERT_MESSAGE("stderr was: " + err, err.find(message) != std::string::npos);
        // serve refuses the same way, and never starts listening.
        ServerProcess server({{"modules.dir", COMFYGATE_TEST_MODULE_DIR}, {"modules.enabled", enabled}});
        CPPUNIT_ASSERT_THROW(server.start(), std::runtime_error);
        CPPUNIT_ASSERT(server.stderrText().find(message) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModuleLoaderTest);
