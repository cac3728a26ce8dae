// The model-download module: a durable, resumable, verified download queue for CivitAI and
// Hugging Face (issue 5). This file wires the parts together as they land.
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

namespace comfygate::modeldownload {

class ModelDownloadModule : public Module
{
public:
    void start(ModuleContext&) override {}
    void stop() noexcept override {}
};

} // namespace comfygate::modeldownload

COMFYGATE_MODULE(comfygate::modeldownload::ModelDownloadModule, "model-download", "0.1.0")
