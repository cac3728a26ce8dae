#include "PolicyEngine.h"
#include "TestPaths.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <memory>
#include <sstream>

using comfygate::FailMode;
using comfygate::PolicyEngine;
using comfygate::Verdict;
using Poco::Dynamic::Var;

namespace {

const std::string shippedPolicies = std::string(COMFYGATE_SOURCE_DIR) + "/scripts/policy";

Var json(const std::string& text)
{
    return Poco::JSON::Parser().parse(text);
}

std::string stringify(const Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

// The shipped scripts with the hooks the kernel and the modules declare.
std::unique_ptr<PolicyEngine> shipped(std::map<std::string, std::string> settings = {})
{
    auto engine = std::make_unique<PolicyEngine>(shippedPolicies, comfygate::PolicyLimits{},
                                                 std::move(settings));
    engine->declareHook({"groups", "effective permissions", FailMode::Open});
    engine->declareHook({"view", "may the user see this output", FailMode::Closed});
    engine->declareHook({"prompt", "may the user queue this workflow", FailMode::Closed});
    engine->declareHook({"download", "may the user download this model", FailMode::Closed});
    engine->load();
    return engine;
}

Var user(const std::string& role, bool sfwCheck = true)
{
    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("username", role + "1");
    subject->set("role", role);
    subject->set("groups", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    subject->set("sfw_check", sfwCheck);
    return subject;
}

Var workflow(const std::string& inputs)
{
    return json(
        R"({"client_id":"c1","workflow":{)"
        R"("4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"a.safetensors"}},)"
        R"("3":{"class_type":"KSampler","inputs":{"model":["4",0],)" +
        inputs + "}}}}");
}

Var download(const std::string& source, const std::string& folder, double gibibytes)
{
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("source", source);
    request->set("folder_type", folder);
    request->set("size_bytes", static_cast<Poco::Int64>(gibibytes * 1024 * 1024 * 1024));
    request->set("filename", "model.safetensors");
    request->set("url", "https://civitai.com/models/1");
    return request;
}

} // namespace

class ShippedPoliciesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ShippedPoliciesTest);
    CPPUNIT_TEST(testShippedScriptsCompile);
    CPPUNIT_TEST(testGroupsChangesNothingByDefault);
    CPPUNIT_TEST(testGroupsGuestReadonly);
    CPPUNIT_TEST(testNsfwTaggedImage);
    CPPUNIT_TEST(testNsfwTermsInPrompt);
    CPPUNIT_TEST(testNsfwGuestsAlwaysChecked);
    CPPUNIT_TEST(testPromptCaps);
    CPPUNIT_TEST(testPromptCapsFromSettings);
    CPPUNIT_TEST(testPromptAdminsExempt);
    CPPUNIT_TEST(testDownloadRoles);
    CPPUNIT_TEST(testDownloadFoldersAndSources);
    CPPUNIT_TEST(testDownloadSettings);
    CPPUNIT_TEST(testMalformedSettingIsLoadError);
    CPPUNIT_TEST_SUITE_END();

public:
    void testShippedScriptsCompile()
    {
        const auto engine = shipped();
        const auto report = engine->check();
        CPPUNIT_ASSERT_MESSAGE(report.ok() ? "" : report.errors.front(), report.ok());
        for (const char* hook : {"groups", "view", "prompt", "download"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(hook, std::size_t(1), report.handlers.at(hook));
    }

    void testGroupsChangesNothingByDefault()
    {
        const auto engine = shipped();
        const Verdict verdict = engine->call("groups", user("guest"),
                                             json(R"({"permissions":["can_run","can_upload"]})"));
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Allow);
        CPPUNIT_ASSERT(!verdict.failed);
    }

    void testGroupsGuestReadonly()
    {
        const auto engine = shipped({{"guest_readonly", "true"}});
        const Var permissions =
            json(R"({"permissions":["can_run","can_view_all_comfyui_items","can_upload"]})");
        Verdict verdict = engine->call("groups", user("guest"), permissions);
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Modify);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"permissions":["can_view_all_comfyui_items"]})"),
                             stringify(verdict.value));

        verdict = engine->call("groups", user("guest"), json(R"({"permissions":["can_run"]})"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"permissions":[]})"), stringify(verdict.value));

        verdict = engine->call("groups", user("user"), permissions);
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Allow);
    }

    void testNsfwTaggedImage()
    {
        const auto engine = shipped();
        const Var tagged =
            json(R"({"filename":"a.png","subfolder":"","type":"output","nsfw":true})");
        Verdict verdict = engine->call("view", user("user", true), tagged);
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Deny);
        CPPUNIT_ASSERT_MESSAGE(verdict.reason,
                               verdict.reason.find("tagged NSFW") != std::string::npos);

        verdict = engine->call("view", user("user", false), tagged);
        CPPUNIT_ASSERT(verdict.allowed());
        CPPUNIT_ASSERT(!verdict.failed);

        const Var clean =
            json(R"({"filename":"a.png","subfolder":"","type":"output","nsfw":false})");
        CPPUNIT_ASSERT(engine->call("view", user("user", true), clean).allowed());
        // Unknown classification and no prompt: nothing to hold against the image.
        CPPUNIT_ASSERT(
            engine->call("view", user("user", true), json(R"({"filename":"a.png"})")).allowed());
    }

    void testNsfwTermsInPrompt()
    {
        const auto engine = shipped({{"nsfw_terms", " Nude , explicit content,gore "}});
        auto view = [&](const std::string& prompt) {
            Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
            request->set("filename", "a.png");
            request->set("type", "output");
            request->set("prompt_text", prompt);
            return engine->call("view", user("user", true), request);
        };
        Verdict verdict = view("a NUDE figure in a garden");
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Deny);
        CPPUNIT_ASSERT_MESSAGE(verdict.reason, verdict.reason.find("'nude'") != std::string::npos);
        CPPUNIT_ASSERT(!view("masterpiece, (nude:1.3), 1girl").allowed());
        CPPUNIT_ASSERT(!view("nude_figure").allowed());
        CPPUNIT_ASSERT(!view("some explicit content here").allowed());
        CPPUNIT_ASSERT(view("a denuded hillside, nudes? no: nudity").allowed());
        CPPUNIT_ASSERT(view("goreless").allowed());
        CPPUNIT_ASSERT(!view("GORE").allowed());
        CPPUNIT_ASSERT(view("a calm lake").allowed());

        Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
        request->set("prompt_text", "nude");
        CPPUNIT_ASSERT(engine->call("view", user("user", false), request).allowed());
    }

    void testNsfwGuestsAlwaysChecked()
    {
        const auto engine = shipped();
        const Verdict verdict =
            engine->call("view", user("guest", false), json(R"({"filename":"a.png","nsfw":true})"));
        CPPUNIT_ASSERT(!verdict.allowed());
        CPPUNIT_ASSERT(!verdict.failed);
    }

    void testPromptCaps()
    {
        const auto engine = shipped();
        CPPUNIT_ASSERT(engine->call("prompt", user("user"), workflow(R"("steps":150)")).allowed());

        Verdict verdict = engine->call("prompt", user("user"), workflow(R"("steps":200)"));
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Deny);
        CPPUNIT_ASSERT_EQUAL(std::string("node 3: steps 200 exceeds the limit of 150"),
                             verdict.reason);

        verdict = engine->call("prompt", user("user"), workflow(R"("batch_size":9)"));
        CPPUNIT_ASSERT_EQUAL(std::string("node 3: batch_size 9 exceeds the limit of 8"),
                             verdict.reason);

        CPPUNIT_ASSERT(
            engine->call("prompt", user("user"), workflow(R"("width":2048,"height":2048)"))
                .allowed());
        verdict = engine->call("prompt", user("user"), workflow(R"("width":4096,"height":2048)"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("node 3: 4096x2048 is 8388608 pixels, more than the limit of 4194304"),
            verdict.reason);

        // Several nodes over a cap: the reason names the lowest node id (numerically), whatever
        // order the handler meets them in.
        verdict = engine->call("prompt", user("user"),
                               json(R"({"workflow":{"12":{"inputs":{"steps":300}},"x":{"inputs":{"steps":400}},)"
                                    R"("9":{"inputs":{"batch_size":20}},"10":{"inputs":{"steps":500}},"2":"text"}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("node 9: batch_size 20 exceeds the limit of 8"), verdict.reason);

        // Links are not literal values; a string number still counts.
        CPPUNIT_ASSERT(
            engine->call("prompt", user("user"), workflow(R"("steps":["5",0])")).allowed());
        CPPUNIT_ASSERT(
            !engine->call("prompt", user("user"), workflow(R"("steps":"500")")).allowed());
        // A workflow without nodes is not this policy's business.
        CPPUNIT_ASSERT(
            engine->call("prompt", user("user"), json(R"({"client_id":"x"})")).allowed());
    }

    void testPromptCapsFromSettings()
    {
        const auto engine =
            shipped({{"max_steps", "40"}, {"max_batch", "2"}, {"max_pixels", "1048576"}});
        Verdict verdict = engine->call("prompt", user("power"), workflow(R"("steps":41)"));
        CPPUNIT_ASSERT_EQUAL(std::string("node 3: steps 41 exceeds the limit of 40"),
                             verdict.reason);
        CPPUNIT_ASSERT(
            !engine->call("prompt", user("user"), workflow(R"("batch_size":3)")).allowed());
        CPPUNIT_ASSERT(
            !engine->call("prompt", user("user"), workflow(R"("width":1024,"height":1025)"))
                 .allowed());
        CPPUNIT_ASSERT(
            engine->call("prompt", user("user"), workflow(R"("width":1024,"height":1024)"))
                .allowed());
    }

    void testPromptAdminsExempt()
    {
        const auto engine = shipped();
        for (const char* role : {"admin", "owner"}) {
            const Verdict verdict =
                engine->call("prompt", user(role), workflow(R"("steps":1000,"batch_size":64)"));
            CPPUNIT_ASSERT_MESSAGE(role, verdict.allowed());
        }
        CPPUNIT_ASSERT(
            !engine->call("prompt", user("power"), workflow(R"("steps":1000)")).allowed());
    }

    void testDownloadRoles()
    {
        const auto engine = shipped();
        Verdict verdict = engine->call("download", user("guest"), download("civitai", "loras", 1));
        CPPUNIT_ASSERT(!verdict.allowed());
        CPPUNIT_ASSERT_EQUAL(std::string("guests may not download models"), verdict.reason);
        CPPUNIT_ASSERT(
            !engine->call("download", user("visitor"), download("civitai", "loras", 1)).allowed());

        CPPUNIT_ASSERT(
            engine->call("download", user("user"), download("civitai", "loras", 1)).allowed());
        CPPUNIT_ASSERT(
            engine->call("download", user("user"), download("huggingface", "vae", 19.9)).allowed());
        verdict = engine->call("download", user("user"), download("civitai", "checkpoints", 25));
        CPPUNIT_ASSERT(!verdict.allowed());
        CPPUNIT_ASSERT_EQUAL(
            std::string("the file is 25.0 GiB; your role may download up to 20.0 GiB"),
            verdict.reason);
        CPPUNIT_ASSERT(
            engine->call("download", user("power"), download("civitai", "checkpoints", 25))
                .allowed());
        CPPUNIT_ASSERT(
            !engine->call("download", user("power"), download("civitai", "checkpoints", 101))
                 .allowed());
        CPPUNIT_ASSERT(
            engine->call("download", user("admin"), download("civitai", "checkpoints", 500))
                .allowed());
    }

    void testDownloadFoldersAndSources()
    {
        const auto engine = shipped();
        for (const char* role : {"user", "admin", "owner"}) {
            for (const char* folder : {"custom_nodes", "Custom_Nodes", "configs"}) {
                const Verdict verdict =
                    engine->call("download", user(role), download("civitai", folder, 0.1));
                CPPUNIT_ASSERT_MESSAGE(std::string(role) + " " + folder, !verdict.allowed());
                CPPUNIT_ASSERT_MESSAGE(verdict.reason,
                                       verdict.reason.find("never allowed") != std::string::npos);
            }
        }
        Verdict verdict = engine->call("download", user("user"), download("civitai", "mystery", 1));
        CPPUNIT_ASSERT_EQUAL(std::string("your role may not download into 'mystery'"),
                             verdict.reason);
        CPPUNIT_ASSERT(
            engine->call("download", user("admin"), download("civitai", "mystery", 1)).allowed());
        verdict = engine->call("download", user("user"), download("url", "loras", 1));
        CPPUNIT_ASSERT_EQUAL(std::string("your role may not download from 'url'"), verdict.reason);
        CPPUNIT_ASSERT(
            engine->call("download", user("admin"), download("url", "loras", 1)).allowed());

        Poco::JSON::Object::Ptr unknownSize = new Poco::JSON::Object;
        unknownSize->set("source", "civitai");
        unknownSize->set("folder_type", "loras");
        CPPUNIT_ASSERT(engine->call("download", user("user"), unknownSize).allowed());
    }

    void testDownloadSettings()
    {
        const auto engine = shipped({{"download_max_gb", "5"},
                                     {"download_sources", "huggingface"},
                                     {"download_folder_types_power", "*"},
                                     {"download_max_gb_admin", "50"}});
        CPPUNIT_ASSERT(
            !engine->call("download", user("user"), download("huggingface", "loras", 6)).allowed());
        CPPUNIT_ASSERT(
            engine->call("download", user("user"), download("huggingface", "loras", 4)).allowed());
        CPPUNIT_ASSERT(
            !engine->call("download", user("user"), download("civitai", "loras", 1)).allowed());
        CPPUNIT_ASSERT(
            engine->call("download", user("power"), download("huggingface", "mystery", 1))
                .allowed());
        CPPUNIT_ASSERT(
            !engine->call("download", user("power"), download("huggingface", "custom_nodes", 1))
                 .allowed());
        CPPUNIT_ASSERT(
            !engine->call("download", user("admin"), download("civitai", "loras", 60)).allowed());
    }

    void testMalformedSettingIsLoadError()
    {
        PolicyEngine engine(shippedPolicies, {}, {{"max_steps", "lots"}});
        engine.declareHook({"groups", "", FailMode::Open});
        engine.declareHook({"view", "", FailMode::Closed});
        engine.declareHook({"prompt", "", FailMode::Closed});
        engine.declareHook({"download", "", FailMode::Closed});
        const auto report = engine.check();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), report.errors.size());
        CPPUNIT_ASSERT_MESSAGE(report.errors[0], report.errors[0].find("prompt.lua:") == 0);
        CPPUNIT_ASSERT_MESSAGE(report.errors[0],
                               report.errors[0].find("max_steps must be a number") !=
                                   std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ShippedPoliciesTest);
