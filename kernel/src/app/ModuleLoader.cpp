#include "ModuleLoader.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <algorithm>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <set>
#include <stdexcept>

namespace comfygate {
namespace {

using EntryFunction = const ModuleDescriptor* (*)() noexcept;

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

/// The optional index of the module's migrations, copied out of the library.
std::optional<std::vector<ModuleLoader::IndexedMigration>> readMigrationIndex(void* handle)
{
    auto index = reinterpret_cast<ModuleMigrationIndexFunction>(
        ::dlsym(handle, COMFYGATE_STRINGIFY(COMFYGATE_MODULE_MIGRATION_INDEX)));
    if (!index)
        return std::nullopt;
    std::uint32_t count = 0;
    const ModuleMigrationEntry* entries = index(&count);
    std::vector<ModuleLoader::IndexedMigration> migrations;
    for (std::uint32_t i = 0; entries && i < count; ++i)
        migrations.push_back({entries[i].number, entries[i].name ? entries[i].name : "",
                              entries[i].file ? entries[i].file : ""});
    return migrations;
}

} // namespace

ModuleLoader::ModuleLoader(KernelServices& kernel) : _kernel(&kernel) {}

ModuleLoader::ModuleLoader() : _kernel(nullptr) {}

void ModuleLoader::inspect(const std::vector<std::string>& directories, const std::vector<std::string>& enabled,
                           const std::vector<std::string>& disabled)
{
    discover(directories, enabled, disabled);
    sortByDependencies();
}

ModuleLoader::~ModuleLoader()
{
    closeLibraries();
}

void ModuleLoader::discover(const std::vector<std::string>& directories, const std::vector<std::string>& enabled,
                            const std::vector<std::string>& disabled)
{
    std::vector<std::string> files;
    for (const auto& directory : directories) {
        if (!Poco::File(directory).exists())
            throw ModuleError("module directory " + directory + " does not exist (set modules.dir)");
        std::vector<std::string> found;
        for (Poco::DirectoryIterator it(directory), end; it != end; ++it) {
            const Poco::Path path(it->path());
            if (path.getExtension() != "so")
                continue;
            const std::string name = path.getBaseName();
            if (contains(disabled, name) || (!enabled.empty() && !contains(enabled, name)))
                continue;
            found.push_back(path.toString());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    for (const auto& file : files)
        open(file);
    for (const auto& wanted : enabled) {
        const bool found =
            std::any_of(_modules.begin(), _modules.end(), [&](const auto& m) { return m->name == wanted; });
        if (!found)
            throw ModuleError("module '" + wanted + "' is listed in modules.enabled but " + wanted +
                              ".so was not found in modules.dir");
    }
}

void ModuleLoader::open(const std::string& path)
{
    const std::string file = Poco::Path(path).getFileName();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        throw ModuleError("module " + file + " cannot be loaded: " + ::dlerror());
    auto module = std::make_unique<LoadedModule>();
    module->path = path;
    module->handle = handle;
    try {
        auto entry = reinterpret_cast<EntryFunction>(::dlsym(handle, COMFYGATE_STRINGIFY(COMFYGATE_MODULE_ENTRY)));
        if (!entry)
            throw ModuleError(
                "module " + file +
                " has no entry point " COMFYGATE_STRINGIFY(COMFYGATE_MODULE_ENTRY) " (use the COMFYGATE_MODULE macro)");
        const ModuleDescriptor* descriptor = entry();
        if (!descriptor)
            throw ModuleError("module " + file + ": its entry point returned no descriptor");
        // The ABI version is the first field in every version of the descriptor, so it is
        // safe to read before anything else is trusted.
        if (descriptor->abiVersion != COMFYGATE_ABI_VERSION)
            throw ModuleError("module " + file + " was built for module ABI " + std::to_string(descriptor->abiVersion) +
                              ", this kernel has ABI " + std::to_string(COMFYGATE_ABI_VERSION) +
                              ": rebuild the module");
        if (descriptor->descriptorSize != sizeof(ModuleDescriptor))
            throw ModuleError("module " + file + " has a descriptor of " + std::to_string(descriptor->descriptorSize) +
                              " bytes, expected " + std::to_string(sizeof(ModuleDescriptor)) + ": rebuild the module");
        const char* signature = descriptor->buildSignature ? descriptor->buildSignature : "";
        const std::string name = descriptor->name ? descriptor->name : "";
        if (std::strcmp(signature, COMFYGATE_BUILD_SIGNATURE) != 0)
            throw ModuleError("module '" + name + "' (" + file + ") was built with '" + signature +
                              "', the kernel with '" COMFYGATE_BUILD_SIGNATURE
                              "': rebuild the module with the kernel's toolchain");
        if (name.empty() || !descriptor->create || !descriptor->destroy)
            throw ModuleError("module " + file +
                              " has an incomplete descriptor (name, create and destroy are required)");
        for (const auto& other : _modules) {
            if (other->name == name)
                throw ModuleError("module '" + name + "' is loaded twice (" + other->path + " and " + path + ")");
        }
        module->descriptor = descriptor;
        module->name = name;
        module->version = descriptor->version ? descriptor->version : "";
        for (const char* const* dep = descriptor->dependencies; dep && *dep; ++dep)
            module->dependencies.emplace_back(*dep);
        module->migrationIndex = readMigrationIndex(handle);
    } catch (...) {
        ::dlclose(handle);
        throw;
    }
    _modules.push_back(std::move(module));
}

void ModuleLoader::sortByDependencies()
{
    std::map<std::string, LoadedModule*> byName;
    for (const auto& module : _modules)
        byName[module->name] = module.get();
    for (const auto& module : _modules) {
        for (const auto& dep : module->dependencies) {
            if (!byName.count(dep))
                throw ModuleError("module '" + module->name + "' depends on module '" + dep +
                                  "', which is not loaded (check modules.enabled / modules.disabled)");
        }
    }
    std::vector<std::unique_ptr<LoadedModule>> sorted;
    std::set<std::string> done;
    std::set<std::string> visiting;
    std::function<void(LoadedModule*)> visit = [&](LoadedModule* module) {
        if (done.count(module->name))
            return;
        if (visiting.count(module->name))
            throw ModuleError("module '" + module->name + "' is part of a dependency cycle");
        visiting.insert(module->name);
        for (const auto& dep : module->dependencies)
            visit(byName[dep]);
        visiting.erase(module->name);
        done.insert(module->name);
        for (auto& owned : _modules) {
            if (owned.get() == module)
                sorted.push_back(std::move(owned));
        }
    };
    for (const auto& module : _modules) {
        if (module)
            visit(module.get());
    }
    _modules = std::move(sorted);
}

void ModuleLoader::startAll()
{
    if (!_kernel)
        throw std::logic_error("this ModuleLoader only inspects modules");
    sortByDependencies();
    for (auto& module : _modules) {
        module->instance = module->descriptor->create();
        if (!module->instance) {
            stopAll();
            throw ModuleError("module '" + module->name + "' could not be created");
        }
        module->host = std::make_unique<ModuleHost>(*_kernel, module->name);
        module->host->setRegistrationOpen(true);
        try {
            module->instance->start(*module->host);
        } catch (const std::exception& e) {
            module->host->setRegistrationOpen(false);
            // A Poco exception's what() is only its class name ("PostgreSQL"); the message is in displayText().
            const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
            const std::string message = "module '" + module->name +
                                        "' failed to start: " + (poco ? poco->displayText() : std::string(e.what()));
            stopAll();
            throw ModuleError(message);
        } catch (...) {
            module->host->setRegistrationOpen(false);
            stopAll();
            throw ModuleError("module '" + module->name + "' failed to start with an unknown exception");
        }
        module->host->setRegistrationOpen(false);
        module->started = true;
        Poco::Logger::get("modules").information("started module %s %s", module->name, module->version);
    }
}

void ModuleLoader::stopAll() noexcept
{
    for (auto it = _modules.rbegin(); it != _modules.rend(); ++it) {
        LoadedModule& module = **it;
        if (module.instance) {
            if (module.started)
                module.instance->stop();
            module.descriptor->destroy(module.instance);
            module.instance = nullptr;
            module.started = false;
        }
    }
}

void ModuleLoader::closeLibraries() noexcept
{
    stopAll();
    for (auto it = _modules.rbegin(); it != _modules.rend(); ++it) {
        if ((*it)->handle) {
            ::dlclose((*it)->handle);
            (*it)->handle = nullptr;
        }
    }
}

} // namespace comfygate
