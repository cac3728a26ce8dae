#include "DoctorChecks.h"
#include "KernelSettings.h"
#include "ModuleLoader.h"

namespace comfygate {

std::vector<ModuleMigrations> ModulesCheck::run(const KernelSettings& settings, DoctorReport& report)
{
    ModuleLoader loader;
    try {
        loader.inspect(settings.modulesDirs, settings.modulesEnabled, settings.modulesDisabled);
    } catch (const std::exception& e) {
        report.fail("modules", e.what(), "rebuild or remove that module, or fix modules.dir / modules.enabled");
        return {};
    }
    std::string names;
    for (const auto& module : loader.modules())
        names += (names.empty() ? "" : ", ") + module->name + " " + module->version;
    report.ok("modules", names.empty() ? std::string("none enabled") : names);

    std::vector<ModuleMigrations> migrations;
    for (const auto& module : loader.modules()) {
        ModuleMigrations& entry = migrations.emplace_back();
        entry.module = module->name;
        entry.indexed = module->migrationIndex.has_value();
        for (const auto& migration : module->migrationIndex.value_or(std::vector<ModuleLoader::IndexedMigration>{})) {
            entry.names[migration.number] = migration.name;
            entry.files[migration.number] = migration.file;
        }
    }
    return migrations;
}

} // namespace comfygate
