// The shipped scripts/policy/nsfw_classifier.lua end to end, over real HTTP with the real
// binary, the fake ComfyUI and the fake NSFW classifier: a prompt's image is sent to the
// classifier when the prompt finishes (execution_success, no WebSocket open), the classifier
// calls it nsfw, policy.tag marks it, and `/view` (nsfw.lua) then refuses it to its sfw_check
// owner while an admin and the owner without sfw_check still get it; an image the classifier
// calls normal stays visible.
#include "ComfyGateway.h"
#include "FakeNsfwClassifier.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <thread>

using comfygate::fakes::FakeNsfwClassifier;
using comfygate::test::Headers;
using comfygate::test::TestGraph;
using comfygate::test::viewUri;

namespace {

const Headers aliceNoSfw{{"Authorization", "Bearer fixture:alice:user:nosfw"}};
const Headers adminNoSfw{{"Authorization", "Bearer fixture:ada:admin:nosfw"}};

} // namespace

class ClassifierExampleTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ClassifierExampleTest);
    CPPUNIT_TEST(classifiedImageIsBlockedForSfwUsersOnly);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(30));
        _comfy->setPreviewFrames(0);
        _comfy->start(); // its URL goes into the settings
        _classifier.start();
    }

    void tearDown() override
    {
        ComfyGatewayTest::tearDown();
        _classifier.stop();
    }

    void classifiedImageIsBlockedForSfwUsersOnly()
    {
        startGateway({{"policy.http.allow_hosts", "127.0.0.1"},
                      {"policy.settings.nsfw_classifier_url", _classifier.url("/models/nsfw-detector")},
                      {"policy.settings.nsfw_classifier_image_base", _comfy->url()},
                      {"policy.settings.nsfw_classifier_threshold", "0.9"}});
        TestGraph dragon;
        dragon.positive = "a dragon over the sea";
        const auto tagged = waitForImage(alice, submit(alice, dragon.json()));
        const auto fox = waitForImage(alice, submit(alice, TestGraph{}.json()));

        // The classifier is asked once per image, with the image's URL on ComfyUI.
        waitFor([&] { return _classifier.calls().size() >= 2; });
        std::map<std::string, std::string> labels; // image URL → the classifier's answer
        std::string asked;
        for (const auto& call : _classifier.calls()) {
            asked += call.image + " → " + call.label + "\n";
            CPPUNIT_ASSERT_EQUAL(std::string("/models/nsfw-detector"), call.path);
            CPPUNIT_ASSERT_EQUAL(std::string("application/json"), call.contentType.substr(0, 16));
            labels[call.image] = call.label;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _classifier.calls().size());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(asked, std::string("nsfw"), labels[_comfy->url() + viewUri(tagged)]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(asked, std::string("normal"), labels[_comfy->url() + viewUri(fox)]);

        // The tag is written after the classifier answered: the owner with sfw_check loses it.
        waitFor([&] { return _client->get(viewUri(tagged), alice).status == 403; });
        const auto refused = _client->get(viewUri(tagged), alice);
        CPPUNIT_ASSERT_EQUAL(403, refused.status);
        CPPUNIT_ASSERT(refused.body.find("the image is tagged NSFW") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(tagged), adminNoSfw).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(tagged), aliceNoSfw).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(fox), alice).status);
    }

private:
    /// Polls `done` until it holds (fails after 20 s).
    template <class Condition>
    void waitFor(Condition done)
    {
        for (int i = 0; i < 400; ++i) {
            if (done())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_FAIL("gave up waiting; gateway log:\n" + _server->stderrText());
    }

    FakeNsfwClassifier _classifier{{"dragon"}};
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClassifierExampleTest);
