#pragma once
// Helpers the comfy-proxy suites share: a txt2img graph for the fake ComfyUI, submitting it
// through the gateway and waiting until it finished.
#include "HttpTestClient.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace comfygate::test {

struct TestGraph
{
    std::string positive = "a red fox";
    std::string negative = "";
    std::string prefix = "ComfyUI";
    bool preview = false; ///< PreviewImage (temp) instead of SaveImage (output)

    std::string json() const
    {
        const std::string output = preview ? R"("9":{"class_type":"PreviewImage","inputs":{"images":["8",0]}})"
                                           : R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":")" + prefix +
                                                 R"(","images":["8",0]}})";
        return R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd15.safetensors"}},)"
               R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
               R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":")" +
               positive +
               R"(","clip":["4",1]}},)"
               R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":")" +
               negative +
               R"(","clip":["4",1]}},)"
               R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":20,"cfg":7.5,"sampler_name":"euler",)"
               R"("scheduler":"normal","denoise":1,"model":["4",0],"positive":["6",0],"negative":["7",0],)"
               R"("latent_image":["5",0]}},)"
               R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)" +
               output + "}";
    }
};

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
