#pragma once

#include <string>

namespace comfygate::bench {

/// ComfyUI's default text-to-image graph in API format: what the prompt benchmarks submit (the
/// fake ComfyUI spends its execution time on it whatever the steps).
inline const std::string sampleGraph =
    R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd15.safetensors"}},)"
    R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
    R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red fox","clip":["4",1]}},)"
    R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"","clip":["4",1]}},)"
    R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":20,"cfg":7.5,"sampler_name":"euler",)"
    R"("scheduler":"normal","denoise":1,"model":["4",0],"positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
    R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
    R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"bench","images":["8",0]}}})";

} // namespace comfygate::bench
