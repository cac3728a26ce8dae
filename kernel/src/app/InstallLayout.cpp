#include "InstallLayout.h"

#include <filesystem>
#include <system_error>

// COMFYGATE_INSTALL_* (the install directories relative to the prefix; the configuration file
// absolute when the sysconfdir lies outside the prefix, as /etc does for /usr) and the checkout
// and build paths come from cmake/InstallDirs.cmake for this file only, so the other kernel
// sources compile the same in every checkout and for every prefix.

namespace comfygate {
namespace fs = std::filesystem;

const InstallLayout& InstallLayout::current()
{
    static const InstallLayout layout = [] {
        std::error_code error;
        const fs::path executable = fs::read_symlink("/proc/self/exe", error);
        return error ? InstallLayout() : forExecutable(executable.string());
    }();
    return layout;
}

InstallLayout InstallLayout::forExecutable(const std::string& executable)
{
    InstallLayout layout;
    // <prefix>/<bindir>/comfygate: as many levels up from the executable's folder as bindir has.
    fs::path prefix = fs::path(executable).parent_path();
    for (const auto& level : fs::path(COMFYGATE_INSTALL_BINDIR)) {
        if (level.empty() || level == ".")
            continue;
        if (prefix.filename() != level)
            return layout;
        prefix = prefix.parent_path();
    }
    std::error_code error;
    if (fs::is_directory(prefix / COMFYGATE_INSTALL_MODULEDIR, error))
        layout._prefix = prefix.string();
    return layout;
}

std::string InstallLayout::underPrefix(const std::string& relative) const
{
    return (fs::path(_prefix) / relative).string();
}

std::string InstallLayout::moduleDir() const
{
    return installed() ? underPrefix(COMFYGATE_INSTALL_MODULEDIR) : COMFYGATE_MODULE_DIR;
}

std::string InstallLayout::policyDir() const
{
    return installed() ? underPrefix(COMFYGATE_INSTALL_SHAREDIR "/policy") : COMFYGATE_SOURCE_DIR "/scripts/policy";
}

std::string InstallLayout::wwwDir() const
{
    return installed() ? underPrefix(COMFYGATE_INSTALL_SHAREDIR "/www") : COMFYGATE_SOURCE_DIR "/share/www";
}

std::string InstallLayout::defaultConfigFile() const
{
    if (!installed())
        return "";
    // std::filesystem's `/` keeps an absolute path (a sysconfdir outside the prefix) as it is.
    const std::string file = (fs::path(_prefix) / COMFYGATE_INSTALL_CONFIG_FILE).string();
    std::error_code error;
    return fs::is_regular_file(file, error) ? file : "";
}

} // namespace comfygate
