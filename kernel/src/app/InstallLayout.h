#pragma once

#include <string>

namespace comfygate {

/// Where the files comfygate ships live, found from the executable's own location so that an
/// installed tree works wherever its prefix is copied. Installed (`cmake --install`, the Debian
/// package): `<prefix>/bin/comfygate` with the modules in `<prefix>/lib/comfygate/modules`, the
/// policies and the web console in `<prefix>/share/comfygate/{policy,www}` and the properties
/// file in the configured sysconfdir. Anything else (the build tree, a test copying the binary)
/// uses the checkout and build directory the binary was compiled in, as before.
class InstallLayout
{
public:
    /// The layout of the running executable (/proc/self/exe), determined once.
    static const InstallLayout& current();
    /// The layout for an executable at `executable` (an absolute path).
    static InstallLayout forExecutable(const std::string& executable);

    /// True when the executable sits in an installed tree (its module directory exists).
    bool installed() const { return !_prefix.empty(); }
    /// The installation prefix; empty in the build tree.
    const std::string& prefix() const { return _prefix; }

    /// The default of modules.dir.
    std::string moduleDir() const;
    /// The default of policy.dir.
    std::string policyDir() const;
    /// The default of http.www_dir.
    std::string wwwDir() const;
    /// The properties file read when --config is not given: the installed one when installed and
    /// present, else empty (a build tree reads none, as before).
    std::string defaultConfigFile() const;

private:
    std::string underPrefix(const std::string& relative) const;

    std::string _prefix;
};

} // namespace comfygate
