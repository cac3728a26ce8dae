#include "Configuration.h"
#include "DoctorChecks.h"
#include "KernelSettings.h"

namespace comfygate {

std::optional<KernelSettings> ConfigurationCheck::run(const Configuration& config, DoctorReport& report)
{
    std::string unknown;
    for (const auto& key : config.unknownKeys())
        unknown += (unknown.empty() ? "" : ", ") + key;
    if (!unknown.empty())
        report.warn("configuration", "unknown keys (ignored): " + unknown,
                    "fix the spelling; every key is listed in etc/comfygate.properties");
    try {
        KernelSettings settings = KernelSettings::read(config);
        if (unknown.empty())
            report.ok("configuration", "every key is known and valid");
        return settings;
    } catch (const std::exception& e) {
        report.fail("configuration", e.what(),
                    "correct the value (etc/comfygate.properties documents each key); the checks that need it "
                    "are skipped");
        return std::nullopt;
    }
}

} // namespace comfygate
