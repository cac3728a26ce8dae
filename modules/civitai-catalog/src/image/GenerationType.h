#pragma once

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::civitaicatalog {

/// Infers what produced an image or video from CivitAI's generation payload: `t2i`, `i2i`,
/// `t2v`, `i2v` or `unknown`.
///
/// Video when `type` is "video", or `meta.workflow` or a resource base model names a video
/// family (video, wan, hunyuan, ltx, cogvideo, svd). Image input when `process`, a technique
/// name or `meta.workflow` mentions img2img / img2vid / i2v / i2i / inpaint, or a base model
/// contains "i2v". Video without an image-input sign is `t2v`; an image is `t2i` unless an
/// image-input sign is present. `unknown` when the payload has neither `type` nor `process`.
class GenerationType
{
public:
    static std::string detect(const Poco::JSON::Object& payload);
};

} // namespace comfygate::civitaicatalog
