#include "Doctor.h"

#include "CommandLine.h"
#include "Configuration.h"
#include "DoctorChecks.h"
#include "KernelSettings.h"
#include "comfygate/CliWords.h"

#include <Poco/Logger.h>

namespace comfygate {

int Doctor::run(const CommandLine& line, std::ostream& out, std::ostream& err)
{
    CliWords parsed;
    try {
        parsed = CliWords::parse(line.words, {"--json"}, {});
    } catch (const std::invalid_argument& e) {
        err << "comfygate doctor: " << e.what() << " (usage: comfygate doctor [--json])\n";
        return 2;
    }
    if (!parsed.positional.empty()) {
        err << "comfygate doctor: unexpected word '" << parsed.positional.front()
            << "' (usage: comfygate doctor [--json])\n";
        return 2;
    }
    // The layers of CliApplication::bootKernel, without the kernel: a bad file is a finding too.
    Configuration config;
    DoctorReport report;
    try {
        if (!line.configFile.empty())
            config.loadFile(line.configFile);
    } catch (const std::exception& e) {
        report.fail("configuration", e.what(), "check the --config path and its permissions");
    }
    config.applyEnvironment(Configuration::processEnvironment());
    config.applyOverrides(line.overrides);
    // The result is the report; library log lines below warning would only clutter it.
    Poco::Logger::root().setLevel(config.isExplicit("log.level") ? config.getString("log.level", "warning") : "warning");
    const auto settings = ConfigurationCheck::run(config, report);
    std::optional<RecordedMigrations> recorded;
    if (settings) {
        DataDirectoryCheck::run(config, *settings, report);
        recorded = DatabaseCheck::run(config, *settings, report);
    } else {
        report.skip("data dir", "needs a valid configuration");
        report.skip("database", "needs a valid configuration");
    }
    ComfyCheck::run(config, report);
    DownloadSourcesCheck::run(config, report);
    if (settings) {
        TlsFilesCheck::run(*settings, report);
        TrustedProxiesCheck::run(*settings, report);
        PolicyCompileCheck::run(config, *settings, report);
        ModuleMigrationsCheck::run(ModulesCheck::run(*settings, report), recorded, report);
    }
    if (parsed.has("--json"))
        report.printJson(out);
    else
        report.printText(out);
    return report.passed() ? 0 : 1;
}

} // namespace comfygate
