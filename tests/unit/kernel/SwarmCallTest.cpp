// swarm::Call: SwarmUI's parameter binding (reference swarmui-basic-api.md §1.5) and the
// registration checks of swarm::addRoute.
#include "Router.h"
#include "comfygate/SwarmApi.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

using namespace comfygate;
using swarm::Call;
using swarm::ParamType;
using swarm::Parameter;
using swarm::Refusal;

namespace {

swarm::RouteInfo route()
{
    swarm::RouteInfo info;
    info.name = "Probe";
    info.permission = "fundamental";
    info.parameters = {Parameter::needed("text", ParamType::String, ""),
                       Parameter::needed("number", ParamType::Int, ""),
                       Parameter::needed("big", ParamType::Long, ""),
                       Parameter::needed("ratio", ParamType::Double, ""),
                       Parameter::needed("flag", ParamType::Bool, ""),
                       Parameter::needed("list", ParamType::StringList, ""),
                       Parameter::needed("settings", ParamType::Object, ""),
                       Parameter::optional("maybe_text", ParamType::String, "", std::string("fallback")),
                       Parameter::optional("maybe_number", ParamType::Int, "", 7),
                       Parameter::optional("maybe_flag", ParamType::Bool, "", true),
                       Parameter::optional("maybe_ratio", ParamType::Double, "", 0.5),
                       Parameter::optional("maybe_list", ParamType::StringList, ""),
                       Parameter::optional("maybe_settings", ParamType::Object, ""),
                       Parameter::optional("nothing", ParamType::String, "")};
    return info;
}

Poco::JSON::Object::Ptr body(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

/// The refusal's message when `read` refuses; fails the test when it does not.
template <typename Read> std::string refusalOf(Read read)
{
    try {
        read();
    } catch (const Refusal& refusal) {
        return refusal.what();
    }
    CPPUNIT_FAIL("expected a refusal");
    return {};
}

} // namespace

class SwarmCallTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SwarmCallTest);
    CPPUNIT_TEST(stringsBindFromStringsNumbersAndBools);
    CPPUNIT_TEST(integersBindFromNumbersAndTheirText);
    CPPUNIT_TEST(intRefusesWhatDoesNotFitAndLongTakesIt);
    CPPUNIT_TEST(decimalsBindFromNumbersAndText);
    CPPUNIT_TEST(boolsBindFromBoolsAndTrueFalseText);
    CPPUNIT_TEST(stringListsBindFromArraysAndCommaSeparatedText);
    CPPUNIT_TEST(objectsBindOnlyFromObjects);
    CPPUNIT_TEST(missingRequiredParametersAreRefused);
    CPPUNIT_TEST(nullCountsAsMissing);
    CPPUNIT_TEST(optionalParametersTakeTheirDefaults);
    CPPUNIT_TEST(rawIsTheBodyWithoutSessionId);
    CPPUNIT_TEST(undeclaredNamesAreAProgrammingError);
    CPPUNIT_TEST(typeNamesAreSwarmUIs);
    CPPUNIT_TEST(tiersGrowFromOwnerToGuest);
    CPPUNIT_TEST(registrationChecks);
    CPPUNIT_TEST_SUITE_END();

    swarm::RouteInfo _info = route();

public:
    void stringsBindFromStringsNumbersAndBools()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), Call(_info, body(R"({"text":"hello"})")).string("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), Call(_info, body(R"({"text":5})")).string("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("true"), Call(_info, body(R"({"text":true})")).string("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'text': must be type string"),
                             refusalOf([&] { Call(_info, body(R"({"text":[1]})")).string("text"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'text': must be type string"),
                             refusalOf([&] { Call(_info, body(R"({"text":{"a":1}})")).string("text"); }));
    }

    void integersBindFromNumbersAndTheirText()
    {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), Call(_info, body(R"({"number":5})")).integer("number"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(5), Call(_info, body(R"({"number":"5"})")).integer("number"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-12), Call(_info, body(R"({"number":" -12 "})")).integer("number"));
        for (const char* mistyped : {R"({"number":"five"})", R"({"number":true})", R"({"number":"5.5"})",
                                     R"({"number":5.5})", R"({"number":[5]})"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(mistyped, std::string("Invalid value for parameter 'number': must be type int"),
                                         refusalOf([&] { Call(_info, body(mistyped)).integer("number"); }));
    }

    void intRefusesWhatDoesNotFitAndLongTakesIt()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'number': must be type int"),
                             refusalOf([&] { Call(_info, body(R"({"number":"3000000000"})")).integer("number"); }));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3000000000), Call(_info, body(R"({"big":"3000000000"})")).integer("big"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3000000000), Call(_info, body(R"({"big":3000000000})")).integer("big"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'big': must be type long"),
                             refusalOf([&] { Call(_info, body(R"({"big":"x"})")).integer("big"); }));
    }

    void decimalsBindFromNumbersAndText()
    {
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.5, Call(_info, body(R"({"ratio":1.5})")).decimal("ratio"), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(2.0, Call(_info, body(R"({"ratio":2})")).decimal("ratio"), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, Call(_info, body(R"({"ratio":"0.25"})")).decimal("ratio"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'ratio': must be type double"),
                             refusalOf([&] { Call(_info, body(R"({"ratio":"half"})")).decimal("ratio"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'ratio': must be type double"),
                             refusalOf([&] { Call(_info, body(R"({"ratio":false})")).decimal("ratio"); }));
    }

    void boolsBindFromBoolsAndTrueFalseText()
    {
        CPPUNIT_ASSERT(Call(_info, body(R"({"flag":true})")).boolean("flag"));
        CPPUNIT_ASSERT(!Call(_info, body(R"({"flag":false})")).boolean("flag"));
        CPPUNIT_ASSERT(Call(_info, body(R"({"flag":"true"})")).boolean("flag"));
        CPPUNIT_ASSERT(Call(_info, body(R"({"flag":"True"})")).boolean("flag"));
        CPPUNIT_ASSERT(!Call(_info, body(R"({"flag":"false"})")).boolean("flag"));
        for (const char* mistyped : {R"({"flag":"yes"})", R"({"flag":1})", R"({"flag":"1"})", R"({"flag":[]})"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(mistyped, std::string("Invalid value for parameter 'flag': must be type bool"),
                                         refusalOf([&] { Call(_info, body(mistyped)).boolean("flag"); }));
    }

    void stringListsBindFromArraysAndCommaSeparatedText()
    {
        const std::vector<std::string> abc{"a", "b", "c"};
        CPPUNIT_ASSERT(abc == Call(_info, body(R"({"list":["a","b","c"]})")).strings("list"));
        CPPUNIT_ASSERT(abc == Call(_info, body(R"({"list":"a, b,,c"})")).strings("list"));
        CPPUNIT_ASSERT((std::vector<std::string>{"1", "true"}) == Call(_info, body(R"({"list":[1,true]})")).strings("list"));
        CPPUNIT_ASSERT(Call(_info, body(R"({"list":[]})")).strings("list").empty());
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'list': must be type string[]"),
                             refusalOf([&] { Call(_info, body(R"({"list":[["nested"]]})")).strings("list"); }));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'list': must be type string[]"),
                             refusalOf([&] { Call(_info, body(R"({"list":5})")).strings("list"); }));
    }

    void objectsBindOnlyFromObjects()
    {
        const auto settings = Call(_info, body(R"({"settings":{"theme":"dark"}})")).object("settings");
        CPPUNIT_ASSERT(settings);
        CPPUNIT_ASSERT_EQUAL(std::string("dark"), settings->getValue<std::string>("theme"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'settings': must be type object"),
                             refusalOf([&] { Call(_info, body(R"({"settings":"dark"})")).object("settings"); }));
    }

    void missingRequiredParametersAreRefused()
    {
        Call call(_info, body("{}"));
        for (const char* name : {"text", "number", "big", "ratio", "flag", "list", "settings"}) {
            const std::string expected = std::string("Missing required parameter '") + name + "'";
            CPPUNIT_ASSERT_EQUAL(expected, refusalOf([&] {
                                     if (std::string(name) == "text") call.string(name);
                                     else if (std::string(name) == "number" || std::string(name) == "big") call.integer(name);
                                     else if (std::string(name) == "ratio") call.decimal(name);
                                     else if (std::string(name) == "flag") call.boolean(name);
                                     else if (std::string(name) == "list") call.strings(name);
                                     else call.object(name);
                                 }));
            CPPUNIT_ASSERT(!call.has(name));
        }
        // A refusal is answered with HTTP 200 {"error": ...}, without error_id, in the "error" key.
        try {
            call.string("text");
        } catch (const Refusal& refusal) {
            CPPUNIT_ASSERT(refusal.errorId().empty());
            CPPUNIT_ASSERT_EQUAL(std::string("error"), refusal.key());
        }
    }

    void nullCountsAsMissing()
    {
        Call call(_info, body(R"({"text":null,"maybe_number":null})"));
        CPPUNIT_ASSERT(!call.has("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'text'"), refusalOf([&] { call.string("text"); }));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), call.integer("maybe_number"));
    }

    void optionalParametersTakeTheirDefaults()
    {
        Call call(_info, body("{}"));
        CPPUNIT_ASSERT_EQUAL(std::string("fallback"), call.string("maybe_text"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), call.integer("maybe_number"));
        CPPUNIT_ASSERT(call.boolean("maybe_flag"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, call.decimal("maybe_ratio"), 1e-9);
        CPPUNIT_ASSERT(call.strings("maybe_list").empty());
        CPPUNIT_ASSERT(!call.object("maybe_settings"));
        CPPUNIT_ASSERT_EQUAL(std::string(), call.string("nothing"));
        // Present values win over defaults, and still bind from text.
        Call given(_info, body(R"({"maybe_number":"9","maybe_flag":"false","maybe_text":"mine"})"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(9), given.integer("maybe_number"));
        CPPUNIT_ASSERT(!given.boolean("maybe_flag"));
        CPPUNIT_ASSERT_EQUAL(std::string("mine"), given.string("maybe_text"));
    }

    void rawIsTheBodyWithoutSessionId()
    {
        const auto original = body(R"({"session_id":"abc","settings":{"a":1},"x":2})");
        Call call(_info, original);
        const auto raw = call.raw();
        CPPUNIT_ASSERT(!raw->has("session_id"));
        CPPUNIT_ASSERT(raw->has("settings") && raw->has("x"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), raw->size());
        CPPUNIT_ASSERT(original->has("session_id")); // a copy: the body itself is untouched
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), Call(_info, nullptr).raw()->size());
    }

    void undeclaredNamesAreAProgrammingError()
    {
        Call call(_info, body(R"({"other":"x"})"));
        CPPUNIT_ASSERT_THROW(call.string("other"), std::logic_error);
        CPPUNIT_ASSERT_THROW(call.has("other"), std::logic_error);
    }

    void typeNamesAreSwarmUIs()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("string"), std::string(swarm::typeName(ParamType::String)));
        CPPUNIT_ASSERT_EQUAL(std::string("int"), std::string(swarm::typeName(ParamType::Int)));
        CPPUNIT_ASSERT_EQUAL(std::string("long"), std::string(swarm::typeName(ParamType::Long)));
        CPPUNIT_ASSERT_EQUAL(std::string("double"), std::string(swarm::typeName(ParamType::Double)));
        CPPUNIT_ASSERT_EQUAL(std::string("bool"), std::string(swarm::typeName(ParamType::Bool)));
        CPPUNIT_ASSERT_EQUAL(std::string("string[]"), std::string(swarm::typeName(ParamType::StringList)));
    }

    void tiersGrowFromOwnerToGuest()
    {
        using swarm::Tier;
        CPPUNIT_ASSERT((std::vector<std::string>{"owner"}) == swarm::tierRoles(Tier::Nobody));
        CPPUNIT_ASSERT((std::vector<std::string>{"owner", "admin"}) == swarm::tierRoles(Tier::Admins));
        CPPUNIT_ASSERT((std::vector<std::string>{"owner", "admin", "power"}) == swarm::tierRoles(Tier::PowerUsers));
        CPPUNIT_ASSERT((std::vector<std::string>{"owner", "admin", "power", "user"}) == swarm::tierRoles(Tier::User));
        CPPUNIT_ASSERT((std::vector<std::string>{"owner", "admin", "power", "user", "guest"}) ==
                       swarm::tierRoles(Tier::Guest));
    }

    void registrationChecks()
    {
        Router router;
        bool open = true;
        ModuleRoutes routes(router, "probe", open);
        const swarm::Handler handler = [](Call&, HttpExchange&, const swarm::Emit&) { return swarm::success(); };
        swarm::addRoute(routes, _info, handler);
        CPPUNIT_ASSERT(router.swarmRoute("probe"));
        CPPUNIT_ASSERT(router.swarmRoute("PROBE") == router.swarmRoute("Probe"));
        CPPUNIT_ASSERT(!router.swarmRoute("Prob"));

        auto twin = _info;
        twin.name = "PROBE";
        CPPUNIT_ASSERT_THROW(swarm::addRoute(routes, twin, handler), std::logic_error);

        auto unguarded = _info;
        unguarded.name = "Unguarded";
        unguarded.permission.clear();
        CPPUNIT_ASSERT_THROW(swarm::addRoute(routes, unguarded, handler), std::logic_error);
        unguarded.sessionless = true;
        swarm::addRoute(routes, unguarded, handler);

        auto socket = _info;
        socket.name = "ProbeWS";
        socket.webSocket = true;
        swarm::addRoute(routes, socket, handler);
        const auto* registered = router.swarmRoute("probews");
        CPPUNIT_ASSERT(registered);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), registered->method);
        CPPUNIT_ASSERT(registered->spec->webSocket);
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), router.swarmRoute("probe")->method);
        CPPUNIT_ASSERT(ErrorStyle::SwarmUI == router.swarmRoute("probe")->spec->errorStyle);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SwarmCallTest);
