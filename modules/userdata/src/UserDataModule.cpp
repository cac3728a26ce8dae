// The userdata module: ComfyUI's userdata, settings and users routes served by the gateway for
// every gateway user from the database, global workflows merged with each user's own, version
// history, promotion to global, Comfy Portal's /cpe routes with UI-to-API workflow conversion,
// and import/export of ComfyUI user folders.
#include "ModuleMigrations.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

namespace comfygate::userdata {

class UserDataModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
    }

    void stop() noexcept override {}
};

} // namespace comfygate::userdata

COMFYGATE_MODULE(comfygate::userdata::UserDataModule, "userdata", "0.1.0")
