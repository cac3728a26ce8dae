#pragma once

#include "comfygate/Abi.h"

#include <cstdint>

namespace comfygate {

class ModuleContext;

/// A module: a shared object that registers routes, permissions, hooks, services and CLI
/// commands with the kernel. Registrations are accepted only inside start().
class Module
{
public:
    virtual ~Module() = default;

    /// Registers everything the module offers. The context stays valid until stop()
    /// returns. An exception aborts kernel startup with the module's name and the message.
    virtual void start(ModuleContext& context) = 0;

    /// Releases the module's resources. Called in reverse start order; must not throw.
    virtual void stop() noexcept = 0;
};

/// What a module's entry point returns. Plain C layout so that the kernel can check the
/// ABI version and size before it touches anything else.
struct ModuleDescriptor
{
    std::uint32_t abiVersion;        ///< COMFYGATE_ABI_VERSION the module was built with
    std::uint32_t descriptorSize;    ///< sizeof(ModuleDescriptor) in the module's build
    const char* buildSignature;      ///< COMFYGATE_BUILD_SIGNATURE of the module's build
    const char* name;                ///< unique module name, [a-z0-9-]+
    const char* version;             ///< the module's own version
    const char* const* dependencies; ///< names of modules that must start first; nullptr-terminated
    Module* (*create)() noexcept;    ///< returns a new module or nullptr on failure
    void (*destroy)(Module*) noexcept;
};

/// One entry of a module's migration index: what `sql/NNN_name.sql` the module applies in its
/// start(), without the SQL. Plain C layout: it is read through dlsym, before any C++ object
/// of the module is trusted.
struct ModuleMigrationEntry
{
    int number;       ///< NNN
    const char* name; ///< the name recorded in schema_migrations (`name`)
    const char* file; ///< the file it came from (`NNN_name.sql`)
};

/// The optional migration index: sets `*count` and returns the entries in number order
/// (nullptr when the module has none).
using ModuleMigrationIndexFunction = const ModuleMigrationEntry* (*)(std::uint32_t* count) noexcept;

} // namespace comfygate

/// The optional symbol a module built by cmake/ComfygateModule.cmake exports (generated from
/// its sql/ folder), so `comfygate doctor` can compare a module's migrations with the database
/// without starting the module (start() applies them). A module without it is reported as
/// "migrations unknown"; it loads as before.
#define COMFYGATE_MODULE_MIGRATION_INDEX comfygate_module_migration_index

/// The one symbol every module exports.
#define COMFYGATE_MODULE_ENTRY comfygate_module_descriptor

/// Defines the module's entry point. Use once per module, in its XxxModule.cpp:
///   COMFYGATE_MODULE(ExampleModule, "example", "1.0.0", "auth")
/// Dependencies are a comma-separated list of module names (may be empty).
#define COMFYGATE_MODULE(ClassName, ModuleName, ModuleVersion, ...)                     \
    namespace {                                                                         \
    const char* const comfygateModuleDependencies[] = {__VA_ARGS__ __VA_OPT__(, ) nullptr}; \
    comfygate::Module* comfygateCreateModule() noexcept                                 \
    {                                                                                   \
        try {                                                                           \
            return new ClassName();                                                     \
        } catch (...) {                                                                 \
            return nullptr;                                                             \
        }                                                                               \
    }                                                                                   \
    void comfygateDestroyModule(comfygate::Module* module) noexcept { delete module; }  \
    const comfygate::ModuleDescriptor comfygateDescriptor = {                           \
        COMFYGATE_ABI_VERSION,                                                          \
        sizeof(comfygate::ModuleDescriptor),                                            \
        COMFYGATE_BUILD_SIGNATURE,                                                      \
        ModuleName,                                                                     \
        ModuleVersion,                                                                  \
        comfygateModuleDependencies,                                                    \
        &comfygateCreateModule,                                                         \
        &comfygateDestroyModule};                                                       \
    }                                                                                   \
    extern "C" __attribute__((visibility("default"))) const comfygate::ModuleDescriptor* \
    COMFYGATE_MODULE_ENTRY() noexcept                                                   \
    {                                                                                   \
        return &comfygateDescriptor;                                                    \
    }
