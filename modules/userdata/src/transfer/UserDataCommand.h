#pragma once

#include "comfygate/CliWords.h"

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace comfygate {
class ModuleContext;
class ServiceRegistry;
} // namespace comfygate

namespace comfygate::userdata {

class UserFileStore;

/// `comfygate userdata import|export`: moves a ComfyUI user folder (`ComfyUI/user/default/`)
/// into a gateway user's files or the global workflows, and writes them back out as a folder
/// ComfyUI reads. Users are named with --user and found through the auth module's "auth.users".
class UserDataCommand
{
public:
    UserDataCommand(UserFileStore& store, ServiceRegistry& services) : _store(store), _services(services) {}

    /// Adds the `userdata` command to the context's CLI; the store must outlive the module's start..stop.
    static void registerWith(ModuleContext& context, UserFileStore& store);

    /// Runs `userdata <args>`; 0 done, 1 something failed or was refused, 2 bad usage.
    int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

    static const char* usage();

private:
    using Words = CliWords;
    static Words parse(const std::vector<std::string>& args);

    int importFolder(const Words& words, std::ostream& out, std::ostream& err);
    int exportFolder(const Words& words, std::ostream& out, std::ostream& err);
    /// The owner --user NAME or --global names; false (and a message on err) when there is none.
    bool owner(const Words& words, std::string& ownerId, std::string& label, std::ostream& err);

    UserFileStore& _store;
    ServiceRegistry& _services;
};

} // namespace comfygate::userdata
