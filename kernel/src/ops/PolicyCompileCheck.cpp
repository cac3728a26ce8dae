#include "Configuration.h"
#include "DoctorChecks.h"
#include "KernelSettings.h"
#include "PolicyEngine.h"
#include "ShippedHooks.h"

namespace comfygate {

void PolicyCompileCheck::run(const Configuration& config, const KernelSettings& settings, DoctorReport& report)
{
    // Without the modules only the shipped hooks are declared, as `policy check` sees them
    // before the modules add theirs; no effects: compiling runs no handler.
    PolicyEngine engine(settings.policyDir, {}, config.withPrefix("policy.settings."));
    declareShippedHooks(engine);
    const auto result = engine.check();
    if (!result.errors.empty()) {
        std::string errors;
        for (const auto& error : result.errors)
            errors += (errors.empty() ? "" : "; ") + error;
        report.fail("policies", errors, "fix the script at file:line, then `comfygate policy check`");
        return;
    }
    std::size_t handlers = 0;
    for (const auto& [hook, count] : result.handlers)
        handlers += count;
    report.ok("policies", settings.policyDir + " compiles (" + std::to_string(handlers) + " handlers)");
}

} // namespace comfygate
