// Work in progress on the auth-base branch: the entry point arrives with the integration.
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

namespace {
class AuthModule : public comfygate::Module
{
public:
    void start(comfygate::ModuleContext&) override {}
    void stop() noexcept override {}
};
} // namespace

COMFYGATE_MODULE(AuthModule, "auth", "0.1.0")
