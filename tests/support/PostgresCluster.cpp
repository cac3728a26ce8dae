#include "PostgresCluster.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace comfygate::test {

namespace {

bool hasTools(const std::string& dir)
{
    return !dir.empty() && Poco::File(dir + "/initdb").exists()
        && Poco::File(dir + "/pg_ctl").exists() && Poco::File(dir + "/postgres").exists();
}

int versionOf(const std::string& name)
{
    try {
        return std::stoi(name);
    } catch (...) {
        return -1;
    }
}

} // namespace

std::string PostgresCluster::binDir()
{
    const std::string configured = Poco::Environment::get("COMFYGATE_PG_BINDIR", "");
    if (!configured.empty())
        return hasTools(configured) ? configured : "";

    const std::string root = "/usr/lib/postgresql";
    if (Poco::File(root).exists()) {
        std::vector<std::string> versions;
        for (Poco::DirectoryIterator it(root), end; it != end; ++it)
            versions.push_back(it.name());
        std::sort(versions.begin(), versions.end(),
                  [](const auto& a, const auto& b) { return versionOf(a) > versionOf(b); });
        for (const std::string& version : versions) {
            const std::string dir = root + "/" + version + "/bin";
            if (hasTools(dir))
                return dir;
        }
    }
    Poco::Path initdb;
    if (Poco::Path::find(Poco::Environment::get("PATH", ""), "initdb", initdb)) {
        const std::string dir = initdb.parent().toString();
        if (hasTools(dir))
            return dir;
    }
    return {};
}

PostgresCluster::PostgresCluster() :
    _binDir(binDir())
{
    if (_binDir.empty())
        throw std::runtime_error("PostgreSQL binaries (initdb, pg_ctl) not found");
    if (::geteuid() == 0) {
        // initdb refuses to run as root: hand the directory to the postgres user.
        const passwd* user = ::getpwnam("postgres");
        if (!user)
            throw std::runtime_error("running as root, and there is no 'postgres' user to run "
                                     "the test cluster as");
        if (::chown(_dir.path().c_str(), user->pw_uid, user->pw_gid) != 0)
            throw std::runtime_error("cannot hand " + _dir.path() + " to the postgres user");
    }
    run("initdb", {"-D", _dir.path() + "/data", "-U", "comfygate", "-A", "trust", "-E", "UTF8",
                   "--locale=C", "--no-sync", "--no-instructions"});
    start();
}

void PostgresCluster::start()
{
    run("pg_ctl", {"-D", _dir.path() + "/data", "-w", "-t", "20", "-l", _dir.path() + "/log",
                   "-o",
                   "-k " + _dir.path() + " -p " + std::to_string(_port)
                       + " -c listen_addresses='' -c fsync=off -c full_page_writes=off"
                         " -c synchronous_commit=off",
                   "start"});
    _started = true;
}

void PostgresCluster::stop()
{
    run("pg_ctl", {"-D", _dir.path() + "/data", "-m", "fast", "-w", "stop"});
    _started = false;
}

PostgresCluster::~PostgresCluster()
{
    if (!_started)
        return;
    try {
        run("pg_ctl", {"-D", _dir.path() + "/data", "-m", "immediate", "-w", "stop"});
    } catch (...) {
    }
}

std::string PostgresCluster::connectionString(const std::string& database) const
{
    return "host=" + _dir.path() + " port=" + std::to_string(_port)
        + " user=comfygate dbname=" + database + " connect_timeout=5";
}

std::map<std::string, std::string> PostgresCluster::gatewaySettings(const std::string& database) const
{
    return {{"db.backend", "postgresql"},
            {"db.postgres.host", _dir.path()},
            {"db.postgres.port", std::to_string(_port)},
            {"db.postgres.user", "comfygate"},
            {"db.postgres.database", database},
            {"db.pool.max", "4"}};
}

void PostgresCluster::createDatabase(const std::string& name) const
{
    run("createdb", {"-h", _dir.path(), "-p", std::to_string(_port), "-U", "comfygate", name});
}

void PostgresCluster::run(const std::string& tool, const std::vector<std::string>& args) const
{
    std::string command = _binDir + "/" + tool;
    Poco::Process::Args processArgs;
    if (::geteuid() == 0) {
        processArgs = {"-u", "postgres", "--", command};
        command = "/usr/sbin/runuser";
        if (!Poco::File(command).exists())
            command = "/sbin/runuser";
    }
    processArgs.insert(processArgs.end(), args.begin(), args.end());

    Poco::Pipe output;
    Poco::ProcessHandle handle =
        Poco::Process::launch(command, processArgs, _dir.path(), nullptr, &output, &output);
    Poco::PipeInputStream stream(output);
    std::string text;
    Poco::StreamCopier::copyToString(stream, text);
    const int status = handle.wait();
    if (status != 0) {
        std::string log;
        try {
            std::ifstream in(_dir.path() + "/log");
            Poco::StreamCopier::copyToString(in, log);
        } catch (...) {
        }
        throw std::runtime_error(tool + " failed (" + std::to_string(status) + "): " + text
                                 + (log.empty() ? "" : "\nserver log:\n" + log));
    }
}

} // namespace comfygate::test
