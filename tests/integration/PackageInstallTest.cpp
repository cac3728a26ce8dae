// The Debian package, as an operator gets it: built by CPack from this build tree, installed with
// `dpkg -i` on this machine (CI: a fresh Debian, as root, without a running systemd), then checked
// and run from its install path as the `comfygate` user with the installed configuration, with
// systemd's readiness socket and journal stream played by the test; the unit verified by
// systemd-analyze; the installed tree copied elsewhere and run from there; finally purged, so a
// rerun starts clean (a leftover installation is purged first). Without root or dpkg the suite
// exits 77, which CTest reports as skipped, saying why.
#include "ChildProcess.h"
#include "HttpTestClient.h"
#include "PackagePaths.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <memory>
#include <poll.h>
#include <pwd.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using comfygate::test::HttpTestClient;
using comfygate::test::ProgramResult;
using comfygate::test::TempDir;
namespace fs = std::filesystem;

namespace {

/// Exits with CTest's skip status before any test runs when this machine cannot install packages.
const bool machineCanInstallPackages = [] {
    const char* missing = ::geteuid() != 0                  ? "not running as root"
                          : ::access("/usr/bin/dpkg", X_OK) ? "dpkg is not installed (not a Debian system)"
                                                            : nullptr;
    if (missing) {
        std::fprintf(stderr, "PackageInstallTest skipped: %s; it installs the Debian package system-wide.\n",
                     missing);
        std::exit(77);
    }
    return true;
}();

const std::string prefix = COMFYGATE_INSTALL_PREFIX;
const std::string installedBinary = prefix + "/" COMFYGATE_INSTALL_BINDIR "/comfygate";
const std::string installedModules = prefix + "/" COMFYGATE_INSTALL_MODULEDIR;
const std::string installedShare = prefix + "/" COMFYGATE_INSTALL_SHAREDIR;
const std::string dataDir = COMFYGATE_INSTALL_DATA_DIR;
const std::vector<std::string> shippedModules{"auth",    "civitai-catalog", "comfy-proxy",
                                              "model-download", "presets", "userdata"};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string describe(const std::vector<std::string>& args, const ProgramResult& result)
{
    std::string line;
    for (const auto& arg : args)
        line += (line.empty() ? "" : " ") + arg;
    return line + " -> exit " + std::to_string(result.exitStatus) + (result.timedOut ? " (timed out)" : "") +
           "\nstdout: " + result.out + "\nstderr: " + result.err;
}

/// Runs a system tool with the sbin directories in PATH (dpkg and maintainer scripts need them).
ProgramResult tool(const std::vector<std::string>& args, int timeoutSeconds = 180)
{
    std::vector<std::string> command{"/usr/bin/env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    command.insert(command.end(), args.begin(), args.end());
    return comfygate::test::runProgram(command, {}, std::chrono::seconds(timeoutSeconds));
}

/// A tool that must succeed; its output.
std::string mustRun(const std::vector<std::string>& args)
{
    const auto result = tool(args);
    if (result.exitStatus != 0)
        throw std::runtime_error(describe(args, result));
    return result.out;
}

/// dpkg, waiting while another dpkg or apt on this machine holds its lock.
ProgramResult dpkg(const std::vector<std::string>& words)
{
    std::vector<std::string> args{"dpkg"};
    args.insert(args.end(), words.begin(), words.end());
    for (int attempt = 0;; ++attempt) {
        auto result = tool(args);
        if (result.exitStatus == 0 || !contains(result.err, "lock") || attempt == 60)
            return result;
        std::this_thread::sleep_for(std::chrono::seconds(2));
    }
}

std::string packageStatus()
{
    return tool({"dpkg-query", "--showformat=${Status}", "--show", "comfygate"}).out;
}

bool userExists(const std::string& name) { return ::getpwnam(name.c_str()) != nullptr; }

/// The package, built and installed once for all tests; purged when the suite ends.
class InstalledPackage
{
public:
    static InstalledPackage& get()
    {
        static InstalledPackage package;
        if (!package._error.empty())
            throw std::runtime_error(package._error);
        return package;
    }

    ~InstalledPackage()
    {
        try {
            purge();
        } catch (...) {
        }
    }

    const std::string& deb() const { return _deb; }

    /// `dpkg --purge`, and the service user removed again when this suite created it.
    ProgramResult purge()
    {
        ProgramResult result;
        if (!packageStatus().empty())
            result = dpkg({"--purge", "comfygate"});
        if (!_userExistedBefore && userExists("comfygate")) {
            tool({"userdel", "comfygate"});
            tool({"groupdel", "comfygate"});
        }
        return result;
    }

    /// Seconds the package took to build (cpack) and to install (dpkg -i), for the log.
    double buildSeconds = 0;
    double installSeconds = 0;

private:
    InstalledPackage()
    {
        try {
            if (!packageStatus().empty()) {
                const auto leftover = dpkg({"--purge", "comfygate"});
                if (leftover.exitStatus != 0)
                    throw std::runtime_error("cannot purge a leftover comfygate package: " + leftover.err);
            }
            _userExistedBefore = userExists("comfygate");
            const auto start = std::chrono::steady_clock::now();
            mustRun({COMFYGATE_CPACK, "-G", "DEB", "--config", COMFYGATE_CPACK_CONFIG, "-B", _output.path()});
            for (const auto& entry : fs::directory_iterator(_output.path())) {
                if (entry.path().extension() == ".deb")
                    _deb = entry.path().string();
            }
            if (_deb.empty())
                throw std::runtime_error("cpack wrote no .deb into " + _output.path());
            const auto built = std::chrono::steady_clock::now();
            const auto install = dpkg({"-i", _deb});
            if (install.exitStatus != 0)
                throw std::runtime_error(describe({"dpkg", "-i", _deb}, install));
            const auto installed = std::chrono::steady_clock::now();
            buildSeconds = std::chrono::duration<double>(built - start).count();
            installSeconds = std::chrono::duration<double>(installed - built).count();
            std::fprintf(stderr, "package %s built in %.1f s, installed in %.1f s\n", _deb.c_str(), buildSeconds,
                         installSeconds);
        } catch (const std::exception& e) {
            _error = std::string("building or installing the package failed: ") + e.what();
        }
    }

    TempDir _output;
    std::string _deb;
    std::string _error;
    bool _userExistedBefore = false;
};

struct ServiceUser
{
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;

    static ServiceUser get()
    {
        const passwd* entry = ::getpwnam("comfygate");
        if (!entry)
            throw std::runtime_error("the package created no comfygate user");
        return {entry->pw_uid, entry->pw_gid, entry->pw_dir, entry->pw_shell};
    }
};

/// What systemd's notification socket receives: a Unix datagram socket the server sends to.
class NotifySocket
{
public:
    explicit NotifySocket(const std::string& path) : _path(path)
    {
        _fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (_fd < 0 || path.size() >= sizeof(address.sun_path))
            throw std::runtime_error("cannot create the notification socket " + path);
        path.copy(address.sun_path, path.size());
        if (::bind(_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
            throw std::runtime_error("cannot bind the notification socket " + path);
        // The server runs as the service user; it needs write permission on the socket.
        ::chmod(path.c_str(), 0666);
    }
    ~NotifySocket()
    {
        ::close(_fd);
        ::unlink(_path.c_str());
    }

    /// The next datagram; throws when none arrives within a minute (the server hangs or never notifies).
    std::string next()
    {
        pollfd ready{_fd, POLLIN, 0};
        if (::poll(&ready, 1, 60000) != 1)
            throw std::runtime_error("no notification arrived on " + _path);
        char buffer[4096];
        const ssize_t size = ::recv(_fd, buffer, sizeof(buffer), 0);
        if (size < 0)
            throw std::runtime_error("cannot read the notification socket");
        return std::string(buffer, static_cast<std::size_t>(size));
    }

    /// The next datagram's lines.
    std::set<std::string> nextLines()
    {
        std::set<std::string> lines;
        std::istringstream text(next());
        for (std::string line; std::getline(text, line);)
            lines.insert(line);
        return lines;
    }

private:
    std::string _path;
    int _fd = -1;
};

/// The installed binary serving as the service user with the installed configuration (no
/// --config: the installed default), in the data directory like the unit's WorkingDirectory.
class InstalledServer
{
public:
    /// `journal`: stderr plays systemd's journal stream (JOURNAL_STREAM names its device and inode).
    explicit InstalledServer(std::map<std::string, std::string> environment = {}, bool journal = false)
    {
        const auto user = ServiceUser::get();
        // The server writes its port file here as the service user.
        ::chown(_run.path().c_str(), user.uid, user.gid);
        if (journal) {
            struct stat info{};
            ::stat(_run.write("stderr", "").c_str(), &info);
            environment["JOURNAL_STREAM"] = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
        }
        std::vector<std::string> envText{"PATH=/usr/bin:/bin", "HOME=" + dataDir};
        for (const auto& [name, value] : environment)
            envText.push_back(name + "=" + value);
        _pid = comfygate::test::spawnProcess(
            {"/usr/bin/setpriv", "--reuid=comfygate", "--regid=comfygate", "--init-groups", "--", "/usr/bin/env",
             "-C", dataDir, installedBinary, "--set", "http.host=127.0.0.1", "--set", "http.port=0", "--set",
             "http.port_file=" + _run.file("port"), "--set", "http.drain_seconds=1", "serve"},
            envText, _run.write("stdin", ""), _run.file("stdout"), _run.file("stderr"));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (_port == 0) {
            const std::string text = comfygate::test::fileText(_run.file("port"));
            if (!text.empty() && text.back() == '\n') {
                _port = static_cast<unsigned>(std::stoul(text));
                break;
            }
            int status = 0;
            if (::waitpid(_pid, &status, WNOHANG) == _pid) {
                _pid = -1;
                throw std::runtime_error("the installed comfygate exited during startup: " + stderrText());
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("the installed comfygate did not listen within 60 s: " + stderrText());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    ~InstalledServer()
    {
        if (_pid > 0) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, nullptr, 0);
        }
    }

    unsigned port() const { return _port; }
    pid_t pid() const { return _pid; }
    std::string stderrText() const { return comfygate::test::fileText(_run.file("stderr")); }

    void signal(int number) { ::kill(_pid, number); }

    /// SIGTERM; the exit status.
    int stop()
    {
        ::kill(_pid, SIGTERM);
        int status = 0;
        ::waitpid(_pid, &status, 0);
        _pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    TempDir _run;
    pid_t _pid = -1;
    unsigned _port = 0;
};

/// `comfygate modules --json` of `binary`: each module's name and path.
std::map<std::string, std::string> loadedModules(const std::vector<std::string>& command)
{
    const auto result = tool(command);
    if (result.exitStatus != 0)
        throw std::runtime_error(describe(command, result));
    const auto document = Poco::JSON::Parser().parse(result.out).extract<Poco::JSON::Object::Ptr>();
    std::map<std::string, std::string> modules;
    const auto list = document->getArray("modules");
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto module = list->getObject(static_cast<unsigned>(i));
        modules[module->getValue<std::string>("name")] = module->getValue<std::string>("path");
    }
    return modules;
}

/// The path `ldd` resolves the kernel library of `binary` to.
std::string kernelLibraryOf(const std::string& binary)
{
    std::istringstream lines(mustRun({"ldd", binary}));
    for (std::string line; std::getline(lines, line);) {
        if (contains(line, "libcomfygate-kernel.so => ")) {
            const auto start = line.find("=> ") + 3;
            // ldd prints the RPATH's $ORIGIN expanded: /usr/bin/../lib/comfygate/...
            return fs::weakly_canonical(line.substr(start, line.find(' ', start) - start)).string();
        }
    }
    return "";
}

} // namespace

class PackageInstallTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PackageInstallTest);
    CPPUNIT_TEST(testDependsOnThePackagesOfTheLinkedLibraries);
    CPPUNIT_TEST(testInstallsFilesIntoTheLayout);
    CPPUNIT_TEST(testCreatesTheServiceUserAndItsPrivateDataDirectory);
    CPPUNIT_TEST(testConfigurationIsAConffileWithEveryDefaultCommented);
    CPPUNIT_TEST(testInstalledBinaryServesAsTheServiceUserWithTheInstalledConfiguration);
    CPPUNIT_TEST(testNotifiesReadinessAndReloadAndLogsForTheJournal);
    CPPUNIT_TEST(testUnitPassesSystemdAnalyzeVerify);
    CPPUNIT_TEST(testRelocatedCopyFindsItsOwnLibraryAndModules);
    CPPUNIT_TEST(testPurgeRemovesThePackageAndItsData);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDependsOnThePackagesOfTheLinkedLibraries()
    {
        const auto& package = InstalledPackage::get();
        const std::string depends = mustRun({"dpkg-deb", "--field", package.deb(), "Depends"});
        // Every library an installed ELF file names as NEEDED, resolved by ldd to a file, belongs
        // to a package that Depends names (the kernel library is the package's own).
        std::vector<std::string> elves{installedBinary, prefix + "/" COMFYGATE_INSTALL_PRIVATE_LIBDIR "/libcomfygate-kernel.so"};
        for (const auto& module : shippedModules)
            elves.push_back(installedModules + "/" + module + ".so");
        std::set<std::string> libraries;
        for (const auto& elf : elves) {
            std::set<std::string> needed;
            std::istringstream headers(mustRun({"objdump", "-p", elf}));
            for (std::string line; std::getline(headers, line);) {
                std::istringstream words(line);
                std::string tag, name;
                if (words >> tag >> name && tag == "NEEDED" && name != "libcomfygate-kernel.so")
                    needed.insert(name);
            }
            std::istringstream resolved(mustRun({"ldd", elf}));
            for (std::string line; std::getline(resolved, line);) {
                std::istringstream words(line);
                std::string name, arrow, path;
                if (words >> name >> arrow >> path && arrow == "=>" && needed.count(name)) {
                    // dpkg knows /lib/... or /usr/lib/... (merged /usr): match the file in its folder.
                    const fs::path file = fs::canonical(path);
                    libraries.insert("*/" + file.parent_path().filename().string() + "/" + file.filename().string());
                }
            }
        }
        CPPUNIT_ASSERT_MESSAGE("too few linked libraries found", libraries.size() >= 10);
        // Depends: "libc6 (>= 2.34), libcurl4 (>= 7.16.2), ..." -> the package names.
        std::set<std::string> declared;
        std::istringstream entries(depends);
        for (std::string entry; std::getline(entries, entry, ',');) {
            std::istringstream alternatives(entry);
            for (std::string alternative; std::getline(alternatives, alternative, '|');) {
                std::string name;
                std::istringstream(alternative) >> name;
                declared.insert(name);
            }
        }
        std::vector<std::string> query{"dpkg-query", "--search"};
        query.insert(query.end(), libraries.begin(), libraries.end());
        std::istringstream owners(mustRun(query));
        for (std::string line; std::getline(owners, line);) {
            // "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1"; several owners separated by ", ".
            if (line.rfind("diversion ", 0) == 0)
                continue;
            bool named = false;
            std::istringstream names(line.substr(0, line.find(": ")));
            for (std::string name; std::getline(names >> std::ws, name, ',');)
                named = named || declared.count(name.substr(0, name.find(':'))) > 0;
            CPPUNIT_ASSERT_MESSAGE(line + " is linked, but its package is not in Depends: " + depends, named);
        }
        for (const auto& library : {"libpocofoundation", "libsystemd0", "liblua5.4", "libsqlite3", "libcurl"})
            CPPUNIT_ASSERT_MESSAGE(depends, contains(depends, library));
    }

    void testInstallsFilesIntoTheLayout()
    {
        InstalledPackage::get();
        for (const auto& path :
             {installedBinary, prefix + "/" COMFYGATE_INSTALL_PRIVATE_LIBDIR "/libcomfygate-kernel.so",
              installedShare + "/policy/nsfw.lua", installedShare + "/policy/lib", installedShare + "/www/signin.html",
              installedShare + "/groups.json", std::string(COMFYGATE_INSTALL_CONFIG_FILE),
              std::string(COMFYGATE_INSTALL_UNIT)})
            CPPUNIT_ASSERT_MESSAGE(path + " is not installed", fs::exists(path));
        std::set<std::string> modules;
        for (const auto& entry : fs::directory_iterator(installedModules))
            modules.insert(entry.path().filename().string());
        std::set<std::string> expected;
        for (const auto& module : shippedModules)
            expected.insert(module + ".so");
        // The example module and the test fixtures are not shipped.
        CPPUNIT_ASSERT(modules == expected);
        CPPUNIT_ASSERT_EQUAL(prefix + "/" COMFYGATE_INSTALL_PRIVATE_LIBDIR "/libcomfygate-kernel.so",
                             kernelLibraryOf(installedBinary));
        const std::string unit = comfygate::test::fileText(COMFYGATE_INSTALL_UNIT);
        for (const auto& line : {"Type=notify", "User=comfygate", "ProtectSystem=strict",
                                 "ReadWritePaths=" COMFYGATE_INSTALL_DATA_DIR, "NoNewPrivileges=yes", "PrivateTmp=yes",
                                 "\nCapabilityBoundingSet=\n", "ExecReload=/bin/kill -HUP $MAINPID"})
            CPPUNIT_ASSERT_MESSAGE(std::string("the unit lacks ") + line, contains(unit, line));
        CPPUNIT_ASSERT_MESSAGE(unit, contains(unit, "ExecStart=" + installedBinary + " --config " +
                                                        COMFYGATE_INSTALL_CONFIG_FILE + " serve"));
    }

    void testCreatesTheServiceUserAndItsPrivateDataDirectory()
    {
        InstalledPackage::get();
        const auto user = ServiceUser::get();
        CPPUNIT_ASSERT_MESSAGE("not a system user", user.uid > 0 && user.uid < 1000);
        CPPUNIT_ASSERT_EQUAL(std::string("/usr/sbin/nologin"), user.shell);
        CPPUNIT_ASSERT_EQUAL(dataDir, user.home);
        const group* group = ::getgrgid(user.gid);
        CPPUNIT_ASSERT(group && std::string(group->gr_name) == "comfygate");
        struct stat info{};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(dataDir.c_str(), &info));
        CPPUNIT_ASSERT(S_ISDIR(info.st_mode));
        CPPUNIT_ASSERT_EQUAL(07777 & 0700, static_cast<int>(info.st_mode & 07777));
        CPPUNIT_ASSERT_EQUAL(user.uid, info.st_uid);
        CPPUNIT_ASSERT_EQUAL(user.gid, info.st_gid);
    }

    void testConfigurationIsAConffileWithEveryDefaultCommented()
    {
        InstalledPackage::get();
        const std::string conffiles = mustRun({"dpkg-query", "--showformat=${Conffiles}\n", "--show", "comfygate"});
        CPPUNIT_ASSERT_MESSAGE(conffiles, contains(conffiles, " " COMFYGATE_INSTALL_CONFIG_FILE " "));
        struct stat info{};
        CPPUNIT_ASSERT_EQUAL(0, ::stat(COMFYGATE_INSTALL_CONFIG_FILE, &info));
        CPPUNIT_ASSERT_EQUAL(0644, static_cast<int>(info.st_mode & 07777));
        std::istringstream lines(comfygate::test::fileText(COMFYGATE_INSTALL_CONFIG_FILE));
        std::vector<std::string> settings;
        int commented = 0;
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty() && line[0] != '#')
                settings.push_back(line);
            else if (line.rfind("#http.port = 8190", 0) == 0 || line.rfind("#modules.dir =", 0) == 0)
                ++commented;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), settings.size());
        CPPUNIT_ASSERT_EQUAL("data.dir = " + dataDir, settings.front());
        CPPUNIT_ASSERT_EQUAL(2, commented);
    }

    void testInstalledBinaryServesAsTheServiceUserWithTheInstalledConfiguration()
    {
        InstalledPackage::get();
        const auto user = ServiceUser::get();
        InstalledServer server;
        const auto health = HttpTestClient(server.port()).get("/healthz");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(health.body, 200, health.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), health.json()->getValue<std::string>("status"));
        // The auth module's route answers: the server loaded the installed modules.
        const auto login = HttpTestClient(server.port()).postJson("/login", R"({"username":"nobody","password":"x"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(login.body, 401, login.status);
        // The installed configuration's data directory, written by the service user.
        struct stat info{};
        CPPUNIT_ASSERT_EQUAL_MESSAGE(server.stderrText(), 0, ::stat((dataDir + "/comfygate.db").c_str(), &info));
        CPPUNIT_ASSERT_EQUAL(user.uid, info.st_uid);
        CPPUNIT_ASSERT_EQUAL(0, ::stat((dataDir + "/secret.key").c_str(), &info));
        CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(info.st_mode & 07777));
        CPPUNIT_ASSERT_EQUAL(0, server.stop());

        const auto modules = loadedModules({"/usr/bin/setpriv", "--reuid=comfygate", "--regid=comfygate",
                                            "--init-groups", "--", installedBinary, "modules", "--json"});
        CPPUNIT_ASSERT_EQUAL(shippedModules.size(), modules.size());
        for (const auto& name : shippedModules)
            CPPUNIT_ASSERT_EQUAL(installedModules + "/" + name + ".so", modules.at(name));
    }

    void testNotifiesReadinessAndReloadAndLogsForTheJournal()
    {
        InstalledPackage::get();
        TempDir sockets;
        const auto user = ServiceUser::get();
        ::chown(sockets.path().c_str(), user.uid, user.gid);
        NotifySocket notify(sockets.file("notify"));
        InstalledServer server({{"NOTIFY_SOCKET", sockets.file("notify")}}, true);

        // READY=1 once it listens: the port file exists, so the notification was already sent.
        auto message = notify.nextLines();
        CPPUNIT_ASSERT_MESSAGE(server.stderrText(), message.count("READY=1"));
        CPPUNIT_ASSERT(message.count("STATUS=serving on port " + std::to_string(server.port())));
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(server.port()).get("/healthz").status);

        server.signal(SIGHUP);
        message = notify.nextLines();
        CPPUNIT_ASSERT_MESSAGE(server.stderrText(), message.count("RELOADING=1"));
        CPPUNIT_ASSERT(std::any_of(message.begin(), message.end(),
                                   [](const std::string& line) { return line.rfind("MONOTONIC_USEC=", 0) == 0; }));
        message = notify.nextLines();
        CPPUNIT_ASSERT_MESSAGE(server.stderrText(), message.count("READY=1"));
        CPPUNIT_ASSERT(message.count("STATUS=serving; policies reloaded"));

        CPPUNIT_ASSERT_EQUAL(0, server.stop());
        message = notify.nextLines();
        CPPUNIT_ASSERT(message.count("STOPPING=1"));

        // Journal lines: the syslog level first, no time stamp (the journal adds its own).
        const std::string log = server.stderrText();
        CPPUNIT_ASSERT_MESSAGE(log, contains(log, "<6>kernel: policies reloaded\n"));
        std::istringstream lines(log);
        int count = 0;
        for (std::string line; std::getline(lines, line); ++count)
            CPPUNIT_ASSERT_MESSAGE(line, line.size() > 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' &&
                                             line[2] == '>');
        CPPUNIT_ASSERT_MESSAGE(log, count > 3);
    }

    void testUnitPassesSystemdAnalyzeVerify()
    {
        InstalledPackage::get();
        if (::access("/usr/bin/systemd-analyze", X_OK) != 0)
            CPPUNIT_FAIL("systemd-analyze is missing: scripts/dev deps installs the systemd package");
        const std::vector<std::string> verify{"systemd-analyze", "verify", COMFYGATE_INSTALL_UNIT};
        const auto result = tool(verify);
        CPPUNIT_ASSERT_MESSAGE(describe(verify, result), result.exitStatus == 0);
        // Complaints about other units on this machine are not ours; any about ours fail.
        CPPUNIT_ASSERT_MESSAGE(describe(verify, result), !contains(result.out + result.err, "comfygate.service:"));
        // The sandbox keeps systemd's exposure rating at 2.0 ("OK") or below (its threshold counts tenths).
        const std::vector<std::string> security{"systemd-analyze", "security", "--offline=true", "--threshold=20",
                                                COMFYGATE_INSTALL_UNIT};
        const auto rating = tool(security);
        CPPUNIT_ASSERT_MESSAGE(describe(security, rating), rating.exitStatus == 0);
    }

    void testRelocatedCopyFindsItsOwnLibraryAndModules()
    {
        InstalledPackage::get();
        TempDir copy;
        const std::string relocated = copy.file("opt/comfygate");
        // The package's files under the prefix, at the same places under another prefix.
        std::istringstream files(mustRun({"dpkg-query", "--listfiles", "comfygate"}));
        int copied = 0;
        for (std::string file; std::getline(files, file);) {
            if (file.rfind(prefix + "/", 0) != 0 || !fs::is_regular_file(file))
                continue;
            const fs::path target = relocated + file.substr(prefix.size());
            fs::create_directories(target.parent_path());
            fs::copy_file(file, target);
            ++copied;
        }
        CPPUNIT_ASSERT(copied > 10);
        const std::string binary = relocated + "/" COMFYGATE_INSTALL_BINDIR "/comfygate";
        CPPUNIT_ASSERT_EQUAL(relocated + "/" COMFYGATE_INSTALL_PRIVATE_LIBDIR "/libcomfygate-kernel.so",
                             kernelLibraryOf(binary));
        const auto modules = loadedModules({binary, "--data-dir", copy.file("data"), "modules", "--json"});
        CPPUNIT_ASSERT_EQUAL(shippedModules.size(), modules.size());
        for (const auto& name : shippedModules)
            CPPUNIT_ASSERT_EQUAL(relocated + "/" COMFYGATE_INSTALL_MODULEDIR "/" + name + ".so", modules.at(name));
        // Its policies too: a script broken in the copy fails the copy's check, not the original's.
        std::ofstream(relocated + "/" COMFYGATE_INSTALL_SHAREDIR "/policy/nsfw.lua", std::ios::app) << "\nnot lua\n";
        const std::vector<std::string> original{installedBinary, "--data-dir", copy.file("data"), "policy", "check"};
        const auto passed = tool(original);
        CPPUNIT_ASSERT_MESSAGE(describe(original, passed), passed.exitStatus == 0);
        const std::vector<std::string> check{binary, "--data-dir", copy.file("data"), "policy", "check"};
        const auto failed = tool(check);
        CPPUNIT_ASSERT_MESSAGE(describe(check, failed), failed.exitStatus == 1 && contains(failed.out, "nsfw.lua:"));
    }

    void testPurgeRemovesThePackageAndItsData()
    {
        auto& package = InstalledPackage::get();
        const auto purged = package.purge();
        CPPUNIT_ASSERT_MESSAGE(purged.err, purged.exitStatus == 0);
        CPPUNIT_ASSERT_EQUAL(std::string(), packageStatus());
        for (const auto& path : {installedBinary, installedModules, installedShare, dataDir,
                                 std::string(COMFYGATE_INSTALL_CONFIG_FILE), std::string(COMFYGATE_INSTALL_UNIT)})
            CPPUNIT_ASSERT_MESSAGE(path + " is still there", !fs::exists(path));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PackageInstallTest);
