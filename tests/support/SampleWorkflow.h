#pragma once

#include <string>

namespace comfygate::test {

/// A text-to-image API graph the fake ComfyUI runs: checkpoint, prompts, KSampler with `steps`,
/// VAE decode, SaveImage with `prefix`.
inline std::string sampleWorkflow(int steps = 20, const std::string& prefix = "ComfyUI")
{
    return R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd15.safetensors"}},)"
           R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
           R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red fox","clip":["4",1]}},)"
           R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"","clip":["4",1]}},)"
           R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":)" +
           std::to_string(steps) +
           R"(,"cfg":7.5,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["4",0],)"
           R"("positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
           R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
           R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":")" +
           prefix + R"(","images":["8",0]}}})";
}

} // namespace comfygate::test
