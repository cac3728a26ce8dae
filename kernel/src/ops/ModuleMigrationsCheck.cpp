#include "DoctorChecks.h"
#include "MigrationPlan.h"

namespace comfygate {

void ModuleMigrationsCheck::run(const std::vector<ModuleMigrations>& modules,
                                const std::optional<RecordedMigrations>& recorded, DoctorReport& report)
{
    for (const auto& module : modules) {
        const std::string name = module.module + " migrations";
        if (!module.indexed) {
            report.skip(name,
                        "unknown: " + module.module +
                            ".so does not list its migrations (built before modules exported them); they are "
                            "checked when it starts",
                        "rebuild the module with cmake/ComfygateModule.cmake to have doctor check them");
            continue;
        }
        if (module.names.empty()) {
            report.ok(name, "none (the module keeps no tables)");
            continue;
        }
        if (!recorded) {
            report.skip(name, "needs a readable database (see the database line)");
            continue;
        }
        const auto records = recorded->find(module.module);
        const std::map<int, std::string> applied = records == recorded->end() ? std::map<int, std::string>{}
                                                                              : records->second;
        std::vector<int> pending;
        try {
            pending = pendingMigrations(module.module, module.names, applied);
        } catch (const MigrationRefused& e) {
            report.fail(name, e.what(),
                        "the server will not start with this database: install the module build that migrated it, "
                        "or restore a backup made with this one");
            continue;
        }
        const std::string known = std::to_string(module.names.size());
        if (pending.empty()) {
            report.ok(name, "all " + known + " applied");
            continue;
        }
        std::string files;
        for (const int number : pending)
            files += (files.empty() ? "" : ", ") + module.files.at(number);
        report.warn(name, std::to_string(pending.size()) + " of " + known + " pending: " + files,
                    "run `comfygate migrate` (the server also applies them at start; `comfygate migrate --dry-run` "
                    "shows what would run)");
    }
}

} // namespace comfygate
