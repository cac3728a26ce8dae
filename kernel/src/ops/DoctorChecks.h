#pragma once

#include "DoctorReport.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace comfygate {

class Configuration;
struct KernelSettings;

// The check families of `comfygate doctor`. Each reads the configuration (and, when the
// configuration is valid, the kernel's settings), looks without changing anything, and adds
// its lines to the report.

/// owner → number → name, as schema_migrations records them.
using RecordedMigrations = std::map<std::string, std::map<int, std::string>>;

/// A loaded module's migrations as its library lists them (COMFYGATE_MODULE_MIGRATION_INDEX).
struct ModuleMigrations
{
    std::string module;
    bool indexed = false;             ///< false: the library does not list them
    std::map<int, std::string> names; ///< number → name recorded in schema_migrations
    std::map<int, std::string> files; ///< number → NNN_name.sql
};

/// Unknown keys (typos) and invalid values, through the kernel's own validation.
struct ConfigurationCheck
{
    /// The settings when the configuration is valid.
    static std::optional<KernelSettings> run(const Configuration& config, DoctorReport& report);
};

/// The data directory (owned by this user, mode 0700) and the secret key (set, or a 0600 file).
struct DataDirectoryCheck
{
    static void run(const Configuration& config, const KernelSettings& settings, DoctorReport& report);
};

/// The database answers and has the kernel's migrations; opened read-only, never migrated.
struct DatabaseCheck
{
    /// What schema_migrations records (empty without the table); nullopt when there is no
    /// database yet or it cannot be read.
    static std::optional<RecordedMigrations> run(const Configuration& config, const KernelSettings& settings,
                                                 DoctorReport& report);
};

/// ComfyUI at comfy.url: its version and --multi-user from /system_stats.
struct ComfyCheck
{
    static void run(const Configuration& config, DoctorReport& report);
};

/// CivitAI and Hugging Face answer at all (a warning only: an offline install is fine).
struct DownloadSourcesCheck
{
    static void run(const Configuration& config, DoctorReport& report);
};

/// With TLS on: the certificate and key are readable, the key is private, the certificate current.
struct TlsFilesCheck
{
    static void run(const KernelSettings& settings, DoctorReport& report);
};

/// http.trusted_proxies that trust too much: everything, a public range or a very wide one.
struct TrustedProxiesCheck
{
    static void run(const KernelSettings& settings, DoctorReport& report);
};

/// The Lua policies compile (the same compile as `comfygate policy check`).
struct PolicyCompileCheck
{
    static void run(const Configuration& config, const KernelSettings& settings, DoctorReport& report);
};

/// Every enabled module's library opens, matches this kernel's ABI and build, and has its
/// dependencies; the modules are not started (that would apply their migrations).
struct ModulesCheck
{
    /// The loaded modules' migration lists (empty when the modules do not load).
    static std::vector<ModuleMigrations> run(const KernelSettings& settings, DoctorReport& report);
};

/// Per loaded module, one line "<module> migrations": its migrations against the records, with
/// the rule `migrate` applies (MigrationPlan): all applied, pending (the files, and how to apply
/// them), or refused (the server would not start).
struct ModuleMigrationsCheck
{
    static void run(const std::vector<ModuleMigrations>& modules, const std::optional<RecordedMigrations>& recorded,
                    DoctorReport& report);
};

} // namespace comfygate
