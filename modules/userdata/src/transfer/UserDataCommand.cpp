#include "UserDataCommand.h"

#include "UserFileStore.h"
#include "UserFolderExport.h"
#include "UserFolderImport.h"
#include "comfygate/Cli.h"
#include "comfygate/ModuleContext.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserDirectory.h"

#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>

namespace comfygate::userdata {

const char* UserDataCommand::usage()
{
    return "comfygate userdata import --from DIR (--user NAME | --global) [--overwrite]\n"
           "comfygate userdata export --to DIR (--user NAME | --global)\n\n"
           "import reads a ComfyUI user folder (ComfyUI/user/default/: workflows/**, comfy.settings.json,\n"
           "comfy.templates.json, user.css and the other files) into the user's files, each checked like an\n"
           "upload: a confined name, userdata.max_file_mb, valid JSON for .json files, the user's quota.\n"
           "Hidden files (.name) are skipped; symlinks are read only when they stay inside DIR. A file the\n"
           "user already has is kept unless --overwrite. --global imports only workflows/** as global\n"
           "workflows every user sees. It prints one line per file and a summary; exit status 0 when\n"
           "nothing was refused, 1 when a file was refused or could not be stored, 2 for bad usage.\n\n"
           "export writes the user's files (or the global workflows) into DIR, creating it, each file\n"
           "atomically with mode 0644, so ComfyUI can read the folder back (copy it to ComfyUI/user/default/).";
}

void UserDataCommand::registerWith(ModuleContext& context, UserFileStore& store)
{
    auto command = std::make_shared<UserDataCommand>(store, context.services());
    context.cli().add({"userdata", "import or export a ComfyUI user folder (workflows, settings, user files)", usage(),
                       [command](const std::vector<std::string>& args, std::istream&, std::ostream& out,
                                 std::ostream& err) { return command->run(args, out, err); }});
}

UserDataCommand::Words UserDataCommand::parse(const std::vector<std::string>& args)
{
    static const std::set<std::string> switches{"--global", "--overwrite"};
    static const std::set<std::string> options{"--from", "--to", "--user"};
    return CliWords::parse(args, switches, options);
}

int UserDataCommand::run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    try {
        const Words words = parse(args);
        const std::string action = words.positional.empty() ? "" : words.positional.front();
        if (words.positional.size() > 1)
            throw std::invalid_argument("unexpected word " + words.positional[1]);
        if (action == "import") {
            if (!words.flags.count("--from"))
                throw std::invalid_argument("import needs --from DIR, the ComfyUI user folder (ComfyUI/user/default)");
            if (words.flags.count("--to"))
                throw std::invalid_argument("--to is for export; import reads --from DIR");
            return importFolder(words, out, err);
        }
        if (action == "export") {
            if (!words.flags.count("--to"))
                throw std::invalid_argument("export needs --to DIR, the folder to write");
            if (words.flags.count("--from") || words.flags.count("--overwrite"))
                throw std::invalid_argument("export takes only --to DIR and --user NAME or --global");
            return exportFolder(words, out, err);
        }
        throw std::invalid_argument(action.empty() ? "say import or export" : "unknown action " + action);
    } catch (const std::invalid_argument& error) {
        err << error.what() << "\nusage:\n" << usage() << "\n";
        return 2;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
}

bool UserDataCommand::owner(const Words& words, std::string& ownerId, std::string& label, std::ostream& err)
{
    const bool global = words.flags.count("--global") > 0;
    const auto named = words.flags.find("--user");
    if (global == (named != words.flags.end()))
        throw std::invalid_argument("name the owner: --user NAME or --global (one of them)");
    if (global) {
        ownerId = UserFileStore::globalOwner;
        label = "the global workflows";
        return true;
    }
    const auto users = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
    if (!users) {
        err << "--user needs the auth module: enable it (modules.enabled includes auth), or use --global\n";
        return false;
    }
    const auto user = users->findByName(named->second);
    if (!user) {
        err << "no user named " << named->second
            << ": see `comfygate user list`, or add one with `comfygate user add`\n";
        return false;
    }
    ownerId = user->id;
    label = user->username;
    return true;
}

int UserDataCommand::importFolder(const Words& words, std::ostream& out, std::ostream& err)
{
    UserFolderImport::Options options;
    options.from = words.flags.at("--from");
    options.overwrite = words.flags.count("--overwrite") > 0;
    options.workflowsOnly = words.flags.count("--global") > 0;
    options.actor = "cli";
    std::string label;
    if (!owner(words, options.owner, label, err))
        return 1;
    std::error_code error;
    if (!std::filesystem::is_directory(options.from, error)) {
        err << options.from.string() << " is not a directory: name the ComfyUI user folder (ComfyUI/user/default)\n";
        return 1;
    }

    int imported = 0, skipped = 0, refused = 0;
    std::int64_t bytes = 0;
    UserFolderImport(_store).run(options, [&](const ImportOutcome& outcome) {
        switch (outcome.kind) {
        case ImportOutcome::Kind::Imported:
            ++imported;
            bytes += outcome.size;
            out << "imported " << outcome.path << " (" << UserFolderImport::formatSize(outcome.size) << ")\n";
            break;
        case ImportOutcome::Kind::Skipped:
            ++skipped;
            out << "skipped " << outcome.path << ": " << outcome.reason << "\n";
            break;
        case ImportOutcome::Kind::Refused:
            ++refused;
            out << "skipped " << outcome.path << ": " << outcome.reason << "\n";
            break;
        }
        out << std::flush;
    });
    out << "imported " << imported << (imported == 1 ? " file" : " files") << " ("
        << UserFolderImport::formatSize(bytes) << ") for " << label << ", skipped " << skipped << ", refused "
        << refused << "\n";
    if (refused > 0)
        err << refused << (refused == 1 ? " file was" : " files were") << " refused: fix or remove "
            << (refused == 1 ? "it" : "them") << " (see the reasons above) and import again"
            << (options.overwrite ? "" : "; files already imported are kept") << "\n";
    return refused > 0 ? 1 : 0;
}

int UserDataCommand::exportFolder(const Words& words, std::ostream& out, std::ostream& err)
{
    std::string ownerId, label;
    if (!owner(words, ownerId, label, err))
        return 1;
    const std::filesystem::path to = words.flags.at("--to");
    const std::string directory = ownerId == UserFileStore::globalOwner ? "workflows" : "";
    int written = 0, failed = 0;
    std::int64_t bytes = 0;
    UserFolderExport(_store).run(ownerId, directory, to, [&](const ExportOutcome& outcome) {
        if (outcome.error.empty()) {
            ++written;
            bytes += outcome.size;
            out << "wrote " << outcome.path << " (" << UserFolderImport::formatSize(outcome.size) << ")\n";
        } else {
            ++failed;
            out << "failed " << outcome.path << ": " << outcome.error << "\n";
        }
        out << std::flush;
    });
    out << "exported " << written << (written == 1 ? " file" : " files") << " (" << UserFolderImport::formatSize(bytes)
        << ") of " << label << " to " << to.string() << "\n";
    if (failed > 0)
        err << failed << (failed == 1 ? " file" : " files") << " could not be written (see above)\n";
    return failed > 0 ? 1 : 0;
}

} // namespace comfygate::userdata
