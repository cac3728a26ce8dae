#pragma once

#include <string>

namespace comfygate::comfyproxy {

/// The positive prompt text of an API-format ComfyUI graph (the `prompt` text chunk of an
/// output PNG), for the `view` policy hook's `prompt_text`.
///
/// Which text counts: every string input whose name starts with `text` (CLIPTextEncode's
/// `text`, SDXL's `text_g` / `text_l`, and custom encoders that follow the convention) of the
/// nodes reachable upstream from any input named `positive` (samplers, guiders, ControlNet
/// apply). Negative prompts are left out on purpose: they routinely list the very words an
/// operator blocks ("nsfw, nude"). A graph with no `positive` input (e.g. Flux's
/// BasicGuider) contributes every such text not reachable from a `negative` input.
/// Texts are joined with newlines in graph order; "" when the JSON is not a graph.
class PositivePrompt
{
public:
    static std::string fromGraphJson(const std::string& json);
};

} // namespace comfygate::comfyproxy
