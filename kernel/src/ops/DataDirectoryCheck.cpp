#include "Configuration.h"
#include "DoctorChecks.h"
#include "KernelSettings.h"

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {
namespace {

std::string octal(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

void checkKeyFile(const std::string& path, DoctorReport& report)
{
    struct stat info{};
    if (::stat(path.c_str(), &info) != 0) {
        report.warn("secret key", "no " + path + " yet and SECRET_KEY is not set",
                    "the server generates it (0600) at first start; back it up then, it seals stored secrets");
        return;
    }
    if (info.st_uid != ::geteuid())
        report.fail("secret key", path + " belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
                        std::to_string(::geteuid()) + ")",
                    "chown " + std::to_string(::geteuid()) + " '" + path + "', or run doctor as the service user");
    else if ((info.st_mode & 077) != 0)
        report.fail("secret key", path + " has mode " + octal(info.st_mode) + ", readable by others",
                    "chmod 600 '" + path + "'");
    else
        report.ok("secret key", path + " (mode " + octal(info.st_mode) + ")");
}

} // namespace

void DataDirectoryCheck::run(const Configuration& config, const KernelSettings& settings, DoctorReport& report)
{
    const std::string& dir = settings.dataDir;
    struct stat info{};
    if (::stat(dir.c_str(), &info) != 0) {
        report.warn("data dir", dir + " does not exist yet",
                    "the server creates it (mode 0700) at first start; check data.dir if you expected data there");
    } else if (!S_ISDIR(info.st_mode)) {
        report.fail("data dir", dir + " is not a directory", "set data.dir to a directory");
    } else if (info.st_uid != ::geteuid()) {
        report.fail("data dir", dir + " belongs to uid " + std::to_string(info.st_uid) + ", not to this user (uid " +
                                    std::to_string(::geteuid()) + ")",
                    "run doctor as the service user (sudo -u comfygate comfygate doctor), or chown -R it");
    } else if ((info.st_mode & 077) != 0) {
        report.warn("data dir", dir + " has mode " + octal(info.st_mode) + ", not 0700",
                    "chmod 700 '" + dir + "' (the server also does at start)");
    } else {
        report.ok("data dir", dir + " (mode 0700, owned by this user)");
    }

    if (!config.getString("secret.key", "").empty())
        report.ok("secret key", "set by " + config.sourceOf("secret.key"));
    else
        checkKeyFile(dir + "/secret.key", report);
}

} // namespace comfygate
