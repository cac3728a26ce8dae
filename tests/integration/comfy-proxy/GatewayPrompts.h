#pragma once
// Helpers the comfy-proxy suites share: submitting a graph (SampleWorkflow.h) through the
// gateway and waiting until it finished.
#include "HttpTestClient.h"
#include "SampleWorkflow.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace comfygate::test {

/// Submits the graph as `user` (asserts 200) and returns the prompt id.
inline std::string submitPrompt(const HttpTestClient& client, const std::map<std::string, std::string>& user,
                                const std::string& graph)
{
    auto result = client.postJson("/prompt", "{\"prompt\":" + graph + "}", user);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
    return result.json()->getValue<std::string>("prompt_id");
}

/// Waits until the prompt finished and returns its first output image {filename, subfolder, type}.
inline Poco::JSON::Object::Ptr waitForImage(const HttpTestClient& client,
                                            const std::map<std::string, std::string>& user, const std::string& promptId)
{
    for (int i = 0; i < 400; ++i) {
        auto item = client.get("/history/" + promptId, user).json();
        auto entry = item->getObject(promptId);
        if (entry && entry->getObject("status") && entry->getObject("status")->optValue<bool>("completed", false))
            return entry->getObject("outputs")->getObject("9")->getArray("images")->getObject(0);
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    CPPUNIT_FAIL("prompt " + promptId + " did not finish");
    return nullptr;
}

} // namespace comfygate::test
