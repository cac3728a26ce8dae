#pragma once

#include <string>

namespace comfygate::test {

/// A text-to-image API graph the fake ComfyUI runs: checkpoint, positive and negative prompts,
/// KSampler with `steps`, VAE decode, then SaveImage with `prefix` (output) or PreviewImage
/// (temp).
struct TestGraph
{
    std::string positive = "a red fox";
    std::string negative = "";
    std::string prefix = "ComfyUI";
    bool preview = false; ///< PreviewImage (temp) instead of SaveImage (output)
    int steps = 20;

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
               R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":)" +
               std::to_string(steps) +
               R"(,"cfg":7.5,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["4",0],)"
               R"("positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
               R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)" +
               output + "}";
    }
};

/// The sample graph with `steps` and a SaveImage `prefix`.
inline std::string sampleWorkflow(int steps = 20, const std::string& prefix = "ComfyUI")
{
    TestGraph graph;
    graph.steps = steps;
    graph.prefix = prefix;
    return graph.json();
}

} // namespace comfygate::test
