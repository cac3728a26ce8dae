#pragma once

#include "KernelServices.h"
#include "ModuleHost.h"
#include "comfygate/Module.h"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// Why a module could not be loaded or started; the message names the module and the cause.
class ModuleError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Finds module shared objects, checks their descriptors (ABI version, descriptor size,
/// build signature), orders them by dependency, starts them in order and stops them in
/// reverse. Any failure stops startup with a ModuleError; modules already started are
/// stopped again first.
class ModuleLoader
{
public:
    /// One migration a module applies at start, from its migration index.
    struct IndexedMigration
    {
        int number;
        std::string name; ///< as recorded in schema_migrations
        std::string file; ///< NNN_name.sql
    };

    struct LoadedModule
    {
        std::string path;
        std::string name;
        std::string version;
        std::vector<std::string> dependencies;
        /// The module's migrations, read without starting it; nullopt when the module does not
        /// export COMFYGATE_MODULE_MIGRATION_INDEX (built before it existed, or not with
        /// cmake/ComfygateModule.cmake).
        std::optional<std::vector<IndexedMigration>> migrationIndex;
        void* handle = nullptr;
        const ModuleDescriptor* descriptor = nullptr;
        Module* instance = nullptr;
        std::unique_ptr<ModuleHost> host;
        bool started = false;
    };

    explicit ModuleLoader(KernelServices& kernel);
    /// A loader that can only discover and check (`comfygate doctor`); startAll() throws.
    ModuleLoader();
    ~ModuleLoader();

    /// Opens the `.so` files of the directories (all, or only `enabled` when non-empty; never
    /// `disabled`) and checks their descriptors. Throws ModuleError.
    void discover(const std::vector<std::string>& directories, const std::vector<std::string>& enabled,
                  const std::vector<std::string>& disabled);
    /// Opens one module file; used by discover() and by tests.
    void open(const std::string& path);

    /// Sorts by dependencies and starts every module. Throws ModuleError.
    void startAll();
    /// discover() and the dependency check, starting nothing. Throws ModuleError.
    void inspect(const std::vector<std::string>& directories, const std::vector<std::string>& enabled,
                 const std::vector<std::string>& disabled);
    /// Stops started modules in reverse order and destroys them.
    void stopAll() noexcept;
    /// Unloads the libraries. Call only after everything holding module code (route
    /// handlers, published services, gauges, the authenticator, CLI commands) is gone.
    void closeLibraries() noexcept;

    const std::vector<std::unique_ptr<LoadedModule>>& modules() const { return _modules; }

private:
    void sortByDependencies();

    KernelServices* _kernel; ///< null: inspection only
    std::vector<std::unique_ptr<LoadedModule>> _modules;
};

} // namespace comfygate
