// SwarmRouteDocs: the Markdown GET /API/docs serves, from swarm::RouteInfo metadata only.
#include "Router.h"
#include "SwarmRouteDocs.h"
#include "comfygate/SwarmApi.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace comfygate;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

class SwarmRouteDocsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SwarmRouteDocsTest);
    CPPUNIT_TEST(groupsAndRoutesAreListedInOrder);
    CPPUNIT_TEST(eachRouteShowsKindPermissionParametersAndReturn);
    CPPUNIT_TEST(plainRoutesAreNotListed);
    CPPUNIT_TEST_SUITE_END();

    Router _router;
    bool _open = true;
    ModuleRoutes _routes{_router, "probe", _open};

public:
    void setUp() override
    {
        const swarm::Handler handler = [](swarm::Call&, HttpExchange&, const swarm::Emit&) { return swarm::success(); };
        swarm::RouteInfo presets;
        presets.name = "DuplicatePreset";
        presets.group = "Presets";
        presets.permission = "manage_presets";
        presets.description = "Copies a preset.";
        presets.parameters = {swarm::Parameter::needed("preset", swarm::ParamType::String, "its title | with a pipe"),
                              swarm::Parameter::optional("count", swarm::ParamType::Int, "how many", 1),
                              swarm::Parameter::optional("title", swarm::ParamType::String, "a new title", std::string("copy")),
                              swarm::Parameter::optional("tags", swarm::ParamType::StringList, "labels")};
        presets.returnExample = R"({"success": true})";
        presets.nonFinal = true;
        swarm::addRoute(_routes, presets, handler);

        swarm::RouteInfo login;
        login.name = "Login";
        login.group = "BasicAPIFeatures";
        login.sessionless = true;
        swarm::addRoute(_routes, login, handler);

        swarm::RouteInfo socket;
        socket.name = "InstallConfirmWS";
        socket.group = "BasicAPIFeatures";
        socket.permission = "install";
        socket.webSocket = true;
        swarm::addRoute(_routes, socket, handler);
    }

    void groupsAndRoutesAreListedInOrder()
    {
        const std::string text = SwarmRouteDocs(_router).markdown();
        const auto toc = text.find("## Table of Contents");
        CPPUNIT_ASSERT(toc != std::string::npos);
        CPPUNIT_ASSERT(contains(text, "- [BasicAPIFeatures](#basicapifeatures)\n    - [InstallConfirmWS](#installconfirmws)\n"
                                      "    - [Login](#login)\n- [Presets](#presets)\n    - [DuplicatePreset](#duplicatepreset)\n"));
        const auto basic = text.find("## BasicAPIFeatures");
        const auto presets = text.find("## Presets");
        CPPUNIT_ASSERT(toc < basic && basic < presets);
        CPPUNIT_ASSERT(text.find("### InstallConfirmWS") < text.find("### Login"));
    }

    void eachRouteShowsKindPermissionParametersAndReturn()
    {
        const std::string text = SwarmRouteDocs(_router).markdown();
        const std::string preset = text.substr(text.find("### DuplicatePreset"));
        for (const std::string part :
             {"#### HTTP route", "`POST /API/DuplicatePreset`", "This route is marked non-final", "Copies a preset.",
              "`manage_presets`", "| preset | string | its title \\| with a pipe | **REQUIRED** |",
              "| count | int | how many | `1` |", "| title | string | a new title | `\"copy\"` |",
              "| tags | string[] | labels | `null` |", "```js\n{\"success\": true}\n```"})
            CPPUNIT_ASSERT_MESSAGE(part + " missing in:\n" + preset, contains(preset, part));
        const std::string socket = text.substr(text.find("### InstallConfirmWS"), text.find("### Login") - text.find("### InstallConfirmWS"));
        CPPUNIT_ASSERT(contains(socket, "#### WebSocket route"));
        CPPUNIT_ASSERT(contains(socket, "**None.**"));
        CPPUNIT_ASSERT(!contains(socket, "non-final"));
        const std::string login = text.substr(text.find("### Login"), text.find("## Presets") - text.find("### Login"));
        CPPUNIT_ASSERT(contains(login, "None (callable without a session)"));
    }

    void plainRoutesAreNotListed()
    {
        RouteSpec plain = RouteSpec::make("POST", "/API/Plain", Access::Public, "a plain route", [](HttpExchange&) {});
        _routes.add(plain);
        CPPUNIT_ASSERT(!contains(SwarmRouteDocs(_router).markdown(), "Plain"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SwarmRouteDocsTest);
