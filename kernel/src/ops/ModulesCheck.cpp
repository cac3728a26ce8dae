#include "DoctorChecks.h"
#include "KernelSettings.h"
#include "ModuleLoader.h"

namespace comfygate {

void ModulesCheck::run(const KernelSettings& settings, DoctorReport& report)
{
    ModuleLoader loader;
    try {
        loader.inspect(settings.modulesDirs, settings.modulesEnabled, settings.modulesDisabled);
    } catch (const std::exception& e) {
        report.fail("modules", e.what(), "rebuild or remove that module, or fix modules.dir / modules.enabled");
        return;
    }
    std::string names;
    for (const auto& module : loader.modules())
        names += (names.empty() ? "" : ", ") + module->name + " " + module->version;
    report.ok("modules", names.empty() ? std::string("none enabled") : names);
}

} // namespace comfygate
