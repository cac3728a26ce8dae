// `comfygate doctor`, run as the real binary against a running and a stopped fake ComfyUI, a
// data directory with loose modes, a public trusted proxy, a broken policy script and a
// fresh data directory that doctor must leave exactly as it found it, and module migrations
// applied, pending (a removed record, a module newer than the database), refused or unknown.
#include "FakeComfyUI.h"
#include "PostgresCluster.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sqlite3.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sys/stat.h>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::PostgresCluster;
using comfygate::test::ServerProcess;
using comfygate::test::TempDir;
using Settings = std::map<std::string, std::string>;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The download sources point at a closed local port, so no test depends on the internet.
Settings offline(Settings settings)
{
    settings.emplace("downloads.civitai.base_url", "http://127.0.0.1:1");
    settings.emplace("downloads.huggingface.base_url", "http://127.0.0.1:1");
    settings.emplace("modules.dir", COMFYGATE_MODULE_DIR);
    return settings;
}

/// A self-signed certificate valid from `fromDays` to `untilDays` days from now (negative: in
/// the past), written as PEM with its key (mode 0600). openssl's command line refuses an end in
/// the past, so the test signs one itself.
void writeSelfSignedCertificate(const std::string& certPath, const std::string& keyPath, long fromDays, long untilDays)
{
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!key || !cert)
        throw std::runtime_error("cannot create a key or certificate");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), fromDays * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), untilDays * 86400);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("cannot sign the certificate");
    std::unique_ptr<FILE, decltype(&std::fclose)> certFile(std::fopen(certPath.c_str(), "w"), std::fclose);
    std::unique_ptr<FILE, decltype(&std::fclose)> keyFile(std::fopen(keyPath.c_str(), "w"), std::fclose);
    if (!certFile || !keyFile || PEM_write_X509(certFile.get(), cert.get()) != 1 ||
        PEM_write_PrivateKey(keyFile.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write " + certPath + " or " + keyPath);
    ::chmod(keyPath.c_str(), 0600);
}

struct DoctorRun
{
    int status = -1;
    std::string out;
    std::string err;

    /// The line of the text output that starts with `status` and names `check`.
    std::string line(const std::string& check) const
    {
        std::istringstream lines(out);
        for (std::string text; std::getline(lines, text);) {
            if (text.size() > 6 && text.compare(6, check.size() + 1, check + ":") == 0)
                return text;
        }
        return "";
    }
};

DoctorRun doctor(const ServerProcess& process, std::vector<std::string> words = {"doctor"})
{
    DoctorRun run;
    run.status = process.runCommand(words, run.out, run.err);
    return run;
}

/// The JSON output's check named `name`.
Poco::JSON::Object::Ptr jsonCheck(const Poco::JSON::Object::Ptr& document, const std::string& name)
{
    const auto checks = document->getArray("checks");
    for (std::size_t i = 0; i < checks->size(); ++i) {
        const auto check = checks->getObject(static_cast<unsigned>(i));
        if (check->getValue<std::string>("name") == name)
            return check;
    }
    throw std::runtime_error("no check named " + name);
}

/// Every path under `dir` with its mode and size, to compare before and after.
std::string listing(const std::string& dir)
{
    std::string text;
    struct stat info{};
    if (::stat(dir.c_str(), &info) != 0)
        return "(absent)";
    text += dir + " " + std::to_string(info.st_mode) + "\n";
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        ::stat(it->path().c_str(), &info);
        text += it->path() + " " + std::to_string(info.st_mode) + " " + std::to_string(info.st_size) + "\n";
        if (it->isDirectory())
            text += listing(it->path());
    }
    return text;
}

/// Runs one statement on a SQLite file (the test's stand-in for an operator's or an old
/// build's database).
void sqliteExec(const std::string& path, const std::string& sql)
{
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open(path.c_str(), &raw);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    if (opened != SQLITE_OK || sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        throw std::runtime_error("sqlite " + path + ": " + sqlite3_errmsg(db.get()));
}

} // namespace

class DoctorTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DoctorTest);
    CPPUNIT_TEST(runningComfyShowsVersionAndMultiUser);
    CPPUNIT_TEST(stoppedComfyFailsWithHint);
    CPPUNIT_TEST(looseModesGetChmodHints);
    CPPUNIT_TEST(publicTrustedProxyIsFlagged);
    CPPUNIT_TEST(brokenPolicyIsNamedWithFileAndLine);
    CPPUNIT_TEST(freshDataDirIsNotModified);
    CPPUNIT_TEST(migratedDatabaseIsReported);
    CPPUNIT_TEST(tlsFilesAreChecked);
    CPPUNIT_TEST(expiredCertificateFails);
    CPPUNIT_TEST(comfyWithoutMultiUserWarnsOnlyWhenExpected);
    CPPUNIT_TEST(postgresqlIsReachedAndItsMigrationsCounted);
    CPPUNIT_TEST(configurationErrorsAreNamed);
    CPPUNIT_TEST(modulesAreLoadedNotStarted);
    CPPUNIT_TEST(moduleMigrationsAreCheckedAfterTheServerRan);
    CPPUNIT_TEST(aRemovedModuleMigrationIsPending);
    CPPUNIT_TEST(aRecordRemovedBehindTheSchemasBackIsPendingButFailsTheDryRun);
    CPPUNIT_TEST(aDatabaseOlderThanAModuleHasItsMigrationsPending);
    CPPUNIT_TEST(aGapBelowAnAppliedModuleMigrationFails);
    CPPUNIT_TEST(aModuleWithoutMigrationIndexIsUnknown);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy = std::make_unique<FakeComfyUI>(_comfyRoot.path());
        _comfy->start();
    }

    void tearDown() override { _comfy.reset(); }

    void runningComfyShowsVersionAndMultiUser()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"comfy.multi_user", "true"}}));
        const DoctorRun run = doctor(process, {"doctor", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        const auto document = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(document->getValue<bool>("ok"));
        const auto comfy = jsonCheck(document, "comfyui");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), comfy->getValue<std::string>("status"));
        const auto message = comfy->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ComfyUI 0.8.0 at " + _comfy->url()));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "--multi-user on"));
        // Offline sources are a warning, not a failure.
        const auto civitai = jsonCheck(document, "civitai");
        CPPUNIT_ASSERT_EQUAL(std::string("warn"), civitai->getValue<std::string>("status"));
        CPPUNIT_ASSERT(contains(civitai->getValue<std::string>("hint"), "fine for an offline install"));
    }

    void stoppedComfyFailsWithHint()
    {
        const std::string url = _comfy->url();
        _comfy->stop();
        ServerProcess process(offline({{"comfy.url", url}}));
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 1, run.status);
        const std::string line = run.line("comfyui");
        CPPUNIT_ASSERT_MESSAGE(run.out, line.rfind("fail  comfyui: not reachable at " + url, 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "-> start ComfyUI, or set comfy.url"));
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "1 failed"));
    }

    void looseModesGetChmodHints()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}}));
        const std::string dir = process.dataDir();
        Poco::File(dir).createDirectories();
        ::chmod(dir.c_str(), 0755);
        std::ofstream(dir + "/secret.key") << "0123456789abcdef0123456789abcdef\n";
        ::chmod((dir + "/secret.key").c_str(), 0644);
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 1, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string("warn  data dir: " + dir + " has mode 0755, not 0700 -> chmod 700 '" + dir +
                                         "' (the server also does at start)"),
                             run.line("data dir"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail  secret key: " + dir + "/secret.key has mode 0644, readable by others -> "
                                         "chmod 600 '" + dir + "/secret.key'"),
                             run.line("secret key"));

        ::chmod(dir.c_str(), 0700);
        ::chmod((dir + "/secret.key").c_str(), 0600);
        const DoctorRun fixed = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fixed.out, 0, fixed.status);
        CPPUNIT_ASSERT_MESSAGE(fixed.out, fixed.line("data dir").rfind("ok    ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(fixed.out, fixed.line("secret key").rfind("ok    ", 0) == 0);
    }

    void publicTrustedProxyIsFlagged()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"http.trusted_proxies", "127.0.0.1,8.8.8.0/24"}}));
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out, 0, run.status);
        const std::string line = run.line("trusted proxies");
        CPPUNIT_ASSERT_MESSAGE(run.out, line.rfind("warn  trusted proxies: 8.8.8.0/24 is a public range", 0) == 0);

        ServerProcess everyone(offline({{"comfy.url", _comfy->url()}, {"http.trusted_proxies", "0.0.0.0/0"}}));
        const DoctorRun open = doctor(everyone);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(open.out, 1, open.status);
        CPPUNIT_ASSERT_MESSAGE(open.out,
                               open.line("trusted proxies").rfind("fail  trusted proxies: 0.0.0.0/0 trusts every", 0) == 0);

        ServerProcess local(offline({{"comfy.url", _comfy->url()}, {"http.trusted_proxies", "127.0.0.1,10.0.0.0/8"}}));
        CPPUNIT_ASSERT_EQUAL(std::string("ok    trusted proxies: 127.0.0.1, 10.0.0.0/8"),
                             doctor(local).line("trusted proxies"));
    }

    void brokenPolicyIsNamedWithFileAndLine()
    {
        TempDir policies;
        policies.write("fine.lua", "policy.on(\"prompt\", function(subject, request) return nil end)\n");
        policies.write("broken.lua", "-- a typo on line 3\n\npolicy.on(\"prompt\", function(subject, request)\n");
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"policy.dir", policies.path()}}));
        const DoctorRun run = doctor(process, {"doctor", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 1, run.status);
        const auto document = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(!document->getValue<bool>("ok"));
        const auto check = jsonCheck(document, "policies");
        CPPUNIT_ASSERT_EQUAL(std::string("fail"), check->getValue<std::string>("status"));
        const auto message = check->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "broken.lua:"));
        CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "fine.lua"));
        CPPUNIT_ASSERT(contains(check->getValue<std::string>("hint"), "policy check"));
    }

    void freshDataDirIsNotModified()
    {
        ServerProcess absent(offline({{"comfy.url", _comfy->url()}}));
        const DoctorRun first = doctor(absent);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.out + first.err, 0, first.status);
        CPPUNIT_ASSERT_MESSAGE(first.out, first.line("data dir").rfind("warn  data dir: " + absent.dataDir() +
                                                                           " does not exist yet", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("(absent)"), listing(absent.dataDir()));

        // A key from the environment needs no key file.
        ServerProcess keyed(offline({{"comfy.url", _comfy->url()}}), {{"SECRET_KEY", "doctor-test-secret-0123456789abcdef"}});
        CPPUNIT_ASSERT_EQUAL(std::string("ok    secret key: set by SECRET_KEY"), doctor(keyed).line("secret key"));

        // An installer's empty 0700 directory: no key, database or lock appears.
        ServerProcess empty(offline({{"comfy.url", _comfy->url()}}));
        Poco::File(empty.dataDir()).createDirectories();
        ::chmod(empty.dataDir().c_str(), 0700);
        const std::string before = listing(empty.dataDir());
        const DoctorRun run = doctor(empty, {"doctor", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(before, listing(empty.dataDir()));
        const auto document = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("warn"), jsonCheck(document, "database")->getValue<std::string>("status"));
        CPPUNIT_ASSERT(contains(jsonCheck(document, "database")->getValue<std::string>("hint"), "comfygate migrate"));
    }

    void migratedDatabaseIsReported()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        const std::string before = listing(process.dataDir());
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        const std::string line = run.line("database");
        CPPUNIT_ASSERT_MESSAGE(run.out, line.rfind("ok    database: SQLite at " + process.dataDir() + "/comfygate.db, all ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "kernel ") && contains(line, "auth "));
        CPPUNIT_ASSERT_EQUAL(before, listing(process.dataDir()));
    }

    void tlsFilesAreChecked()
    {
        TempDir certs;
        for (const auto& [name, days] : {std::pair<std::string, std::string>{"long", "60"}, {"short", "1"}}) {
            const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days " + days +
                                        " -subj /CN=localhost -keyout " + certs.file(name + "-key.pem") + " -out " +
                                        certs.file(name + "-cert.pem") + " 2>/dev/null";
            CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
        }
        const std::string key = certs.file("long-key.pem");
        ::chmod(key.c_str(), 0644);
        ServerProcess process(offline({{"comfy.url", _comfy->url()},
                                       {"http.tls.cert", certs.file("long-cert.pem")},
                                       {"http.tls.key", key}}));
        const DoctorRun loose = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(loose.out, 1, loose.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fail  tls: key " + key + " is world-readable -> chmod 600 '" + key + "'"),
                             loose.line("tls"));

        ::chmod(key.c_str(), 0600);
        const DoctorRun fixed = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fixed.out, 0, fixed.status);
        CPPUNIT_ASSERT_MESSAGE(fixed.out, fixed.line("tls").rfind("ok    tls: certificate " + certs.file("long-cert.pem") +
                                                                      " valid until ", 0) == 0);

        ServerProcess expiring(offline({{"comfy.url", _comfy->url()},
                                        {"http.tls.cert", certs.file("short-cert.pem")},
                                        {"http.tls.key", certs.file("short-key.pem")}}));
        const DoctorRun soon = doctor(expiring);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(soon.out, 0, soon.status);
        CPPUNIT_ASSERT_MESSAGE(soon.out, soon.line("tls").rfind("warn  tls: certificate " + certs.file("short-cert.pem") +
                                                                    " expires on ", 0) == 0);
    }

    void expiredCertificateFails()
    {
        TempDir certs;
        const std::string cert = certs.file("expired-cert.pem");
        const std::string key = certs.file("expired-key.pem");
        writeSelfSignedCertificate(cert, key, -2, -1);
        ServerProcess process(
            offline({{"comfy.url", _comfy->url()}, {"http.tls.cert", cert}, {"http.tls.key", key}}));
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out, 1, run.status);
        const std::string line = run.line("tls");
        CPPUNIT_ASSERT_MESSAGE(run.out, line.rfind("fail  tls: certificate " + cert + " expired on ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "-> renew it and restart the server"));
    }

    void comfyWithoutMultiUserWarnsOnlyWhenExpected()
    {
        _comfy->setMultiUserArgument(false);
        ServerProcess expecting(offline({{"comfy.url", _comfy->url()}, {"comfy.multi_user", "true"}}));
        const DoctorRun warned = doctor(expecting);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(warned.out, 0, warned.status);
        const std::string line = warned.line("comfyui");
        CPPUNIT_ASSERT_MESSAGE(warned.out, line.rfind("warn  comfyui: ComfyUI 0.8.0 at " + _comfy->url() +
                                                          ", --multi-user off, but comfy.multi_user = true expects it",
                                                      0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "-> start ComfyUI with --multi-user, or set comfy.multi_user = false"));

        ServerProcess single(offline({{"comfy.url", _comfy->url()}, {"comfy.multi_user", "false"}}));
        const DoctorRun fine = doctor(single);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fine.out, 0, fine.status);
        CPPUNIT_ASSERT_MESSAGE(fine.out, fine.line("comfyui").rfind("ok    comfyui: ComfyUI 0.8.0 at " + _comfy->url() +
                                                                        ", --multi-user off", 0) == 0);
    }

    void postgresqlIsReachedAndItsMigrationsCounted()
    {
        PostgresCluster cluster;
        cluster.createDatabase("doctor");
        Settings settings = cluster.gatewaySettings("doctor");
        settings.emplace("comfy.url", _comfy->url());
        ServerProcess process(offline(settings));
        const std::string where = "PostgreSQL comfygate@" + settings.at("db.postgres.host") + ":" +
                                  settings.at("db.postgres.port") + "/doctor";
        const DoctorRun fresh = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fresh.out, 0, fresh.status);
        CPPUNIT_ASSERT_MESSAGE(fresh.out, fresh.line("database").rfind("warn  database: " + where + ": ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(fresh.out, contains(fresh.line("database"), "kernel migrations pending (applied: none)"));
        // No schema_migrations table yet (and doctor creates none): every module migration pending.
        CPPUNIT_ASSERT_MESSAGE(fresh.out, fresh.line("auth migrations")
                                              .rfind("warn  auth migrations: 2 of 2 pending: 001_auth_schema.sql, "
                                                     "002_user_disabled.sql -> run `comfygate migrate`",
                                                     0) == 0);

        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        const DoctorRun migrated = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(migrated.out, 0, migrated.status);
        const std::string line = migrated.line("database");
        CPPUNIT_ASSERT_MESSAGE(migrated.out, line.rfind("ok    database: " + where + ", all ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "kernel ") && contains(line, "auth "));
        CPPUNIT_ASSERT_EQUAL(std::string("ok    auth migrations: all 2 applied"), migrated.line("auth migrations"));

        // Nothing listens on the next port.
        settings["db.postgres.port"] = std::to_string(std::stoi(settings.at("db.postgres.port")) + 1);
        ServerProcess unreachable(offline(settings));
        const DoctorRun failed = doctor(unreachable);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.out, 1, failed.status);
        CPPUNIT_ASSERT_MESSAGE(failed.out, failed.line("database").rfind("fail  database: PostgreSQL comfygate@", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(failed.out, contains(failed.line("database"), "is not reachable: "));
        CPPUNIT_ASSERT_MESSAGE(failed.out, contains(failed.line("database"), "-> start PostgreSQL, or check db.postgres.host"));
        CPPUNIT_ASSERT_EQUAL(std::string("skip  auth migrations: needs a readable database (see the database line)"),
                             failed.line("auth migrations"));
    }

    void configurationErrorsAreNamed()
    {
        ServerProcess typo(offline({{"comfy.url", _comfy->url()}, {"http.prot", "8080"}}));
        const DoctorRun warned = doctor(typo);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(warned.out, 0, warned.status);
        const std::string line = warned.line("configuration");
        CPPUNIT_ASSERT_MESSAGE(warned.out, line.rfind("warn  configuration: unknown keys (ignored): http.prot", 0) == 0);

        ServerProcess invalid(offline({{"comfy.url", _comfy->url()}, {"http.port", "99999"}}));
        const DoctorRun failed = doctor(invalid);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(failed.out, 1, failed.status);
        CPPUNIT_ASSERT_MESSAGE(failed.out, failed.line("configuration").rfind("fail  configuration: ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(failed.out, contains(failed.line("configuration"), "http.port"));
        CPPUNIT_ASSERT_MESSAGE(failed.out, failed.line("data dir").rfind("skip  data dir: needs a valid configuration", 0) == 0);
    }

    void modulesAreLoadedNotStarted()
    {
        ServerProcess good(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        const DoctorRun loaded = doctor(good);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(loaded.out, 0, loaded.status);
        CPPUNIT_ASSERT_MESSAGE(loaded.out, loaded.line("modules").rfind("ok    modules: auth ", 0) == 0);

        ServerProcess missing(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth,nosuch"}}));
        const DoctorRun absent = doctor(missing);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(absent.out, 1, absent.status);
        CPPUNIT_ASSERT_MESSAGE(absent.out, absent.line("modules").rfind("fail  modules: module 'nosuch' is listed", 0) == 0);

        ServerProcess stale(offline({{"comfy.url", _comfy->url()},
                                     {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                     {"modules.enabled", "fixture_bad_abi"}}));
        const DoctorRun rebuilt = doctor(stale);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rebuilt.out, 1, rebuilt.status);
        const std::string line = rebuilt.line("modules");
        CPPUNIT_ASSERT_MESSAGE(rebuilt.out, line.rfind("fail  modules: module fixture_bad_abi.so was built for module ABI", 0) == 0);
    }

    void moduleMigrationsAreCheckedAfterTheServerRan()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth,presets"}}));
        process.start();
        CPPUNIT_ASSERT_EQUAL(0, process.stop());
        const DoctorRun run = doctor(process, {"doctor", "--json"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        const auto document = Poco::JSON::Parser().parse(run.out).extract<Poco::JSON::Object::Ptr>();
        for (const auto& [module, count] : {std::pair<std::string, int>{"auth", 2}, {"presets", 2}}) {
            const auto check = jsonCheck(document, module + " migrations");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out, std::string("ok"), check->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("all " + std::to_string(count) + " applied"),
                                 check->getValue<std::string>("message"));
        }
    }

    void aRemovedModuleMigrationIsPending()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        // The database as auth's 001 left it: 002's column and its record undone.
        sqliteExec(process.dataDir() + "/comfygate.db",
                   "ALTER TABLE users DROP COLUMN disabled; "
                   "DELETE FROM schema_migrations WHERE owner = 'auth' AND number = 2");
        const std::string before = listing(process.dataDir());

        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status); // a warning: the server applies it
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out,
                                     std::string("warn  auth migrations: 1 of 2 pending: 002_user_disabled.sql -> run "
                                                 "`comfygate migrate` (the server also applies them at start; "
                                                 "`comfygate migrate --dry-run` shows what would run)"),
                                     run.line("auth migrations"));
        const DoctorRun json = doctor(process, {"doctor", "--json"});
        const auto document = Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
        const auto check = jsonCheck(document, "auth migrations");
        CPPUNIT_ASSERT_EQUAL(std::string("warn"), check->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("1 of 2 pending: 002_user_disabled.sql"), check->getValue<std::string>("message"));
        CPPUNIT_ASSERT(contains(check->getValue<std::string>("hint"), "comfygate migrate"));
        // Read-only: no migration ran, no file changed.
        CPPUNIT_ASSERT_EQUAL(before, listing(process.dataDir()));

        // migrate --dry-run names the same migration; migrate applies it and doctor agrees.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate", "--dry-run"}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, contains(out, "auth 2 user_disabled\n"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        CPPUNIT_ASSERT_EQUAL(std::string("ok    auth migrations: all 2 applied"), doctor(process).line("auth migrations"));
    }

    void aRecordRemovedBehindTheSchemasBackIsPendingButFailsTheDryRun()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        // Only the record goes; the column stays. Doctor reads records, not schemas, so it
        // says pending; the dry run executes the SQL and shows that applying it would fail.
        sqliteExec(process.dataDir() + "/comfygate.db",
                   "DELETE FROM schema_migrations WHERE owner = 'auth' AND number = 2");
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.line("auth migrations")
                                            .rfind("warn  auth migrations: 1 of 2 pending: 002_user_disabled.sql -> ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.line("auth migrations"), "comfygate migrate --dry-run"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out, 1, process.runCommand({"migrate", "--dry-run"}, out, err));
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "auth/002_user_disabled failed"));
    }

    void aDatabaseOlderThanAModuleHasItsMigrationsPending()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        // The same database, now with presets enabled: it has never run presets' migrations.
        const DoctorRun run = doctor(process, {"--set", "modules.enabled=auth,presets", "doctor"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok    auth migrations: all 2 applied"), run.line("auth migrations"));
        CPPUNIT_ASSERT_MESSAGE(run.out, run.line("presets migrations")
                                                .rfind("warn  presets migrations: 2 of 2 pending: 001_presets.sql, "
                                                       "010_user_settings.sql -> run `comfygate migrate`",
                                                       0) == 0);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     process.runCommand({"--set", "modules.enabled=auth,presets", "migrate", "--dry-run"},
                                                        out, err));
        CPPUNIT_ASSERT_EQUAL(std::string("presets 1 presets\npresets 10 user_settings\n"
                                         "2 pending migrations (dry run: nothing applied)\n"),
                             out);
    }

    void aGapBelowAnAppliedModuleMigrationFails()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()}, {"modules.enabled", "auth"}}));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, process.runCommand({"migrate"}, out, err));
        sqliteExec(process.dataDir() + "/comfygate.db",
                   "DELETE FROM schema_migrations WHERE owner = 'auth' AND number = 1");
        // The server refuses such a database; doctor says so before a start fails.
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out, 1, run.status);
        const std::string line = run.line("auth migrations");
        CPPUNIT_ASSERT_MESSAGE(run.out, line.rfind("fail  auth migrations: migration auth/001_auth_schema is pending "
                                                   "but the later auth/002_user_disabled is already applied",
                                                   0) == 0);
        CPPUNIT_ASSERT_MESSAGE(line, contains(line, "-> the server will not start with this database"));
        CPPUNIT_ASSERT_MESSAGE(err, process.runCommand({"migrate"}, out, err) != 0);
        CPPUNIT_ASSERT_MESSAGE(err, contains(err, "is pending but the later"));
    }

    void aModuleWithoutMigrationIndexIsUnknown()
    {
        ServerProcess process(offline({{"comfy.url", _comfy->url()},
                                       {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                       {"modules.enabled", "fixture,fixture_no_index"}}));
        const DoctorRun run = doctor(process);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out, 0, run.status);
        CPPUNIT_ASSERT_MESSAGE(run.out, run.line("modules").rfind("ok    modules: ", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("ok    fixture migrations: none (the module keeps no tables)"),
                             run.line("fixture migrations"));
        CPPUNIT_ASSERT_MESSAGE(run.out, run.line("fixture_no_index migrations")
                                            .rfind("skip  fixture_no_index migrations: unknown: fixture_no_index.so "
                                                   "does not list its migrations",
                                                   0) == 0);
    }

private:
    TempDir _comfyRoot;
    std::unique_ptr<FakeComfyUI> _comfy;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DoctorTest);
