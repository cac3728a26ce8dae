// Clients nobody on the team wrote, against the real binary in front of the fake ComfyUI,
// CivitAI and Hugging Face: tests/clients/gateway_client.py (Python `requests`) and
// tests/clients/gateway_client.mjs (Node's fetch) walk every route family over keep-alive
// connections and check statuses, reason phrases, headers and JSON shapes, so framing bugs
// the project's own Poco client tolerates (a 204 sent chunked, reason "OK" on every status,
// an unread request body read as the next request) fail here. A missing interpreter or
// `requests` module fails the test; it is never skipped.
#include "ChildProcess.h"
#include "FakeCivitai.h"
#include "FakeComfyUI.h"
#include "FakeHuggingFace.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

using comfygate::test::ProgramResult;
using comfygate::test::ServerProcess;
using Settings = std::map<std::string, std::string>;
namespace fakes = comfygate::fakes;

namespace {

const std::string python = "/usr/bin/python3";
const std::string node = "/usr/bin/node";
const std::string clientsDir = COMFYGATE_SOURCE_DIR "/tests/clients/";
const std::string user = "alice";
const std::string userPassword = "harbour-lantern-2718";
const std::string admin = "ada";
const std::string adminPassword = "copper-kettle-9431";
constexpr int civitaiModel = 300;
constexpr int civitaiVersion = 3001;
const std::string hfRepo = "org/harbour";
const std::string hfPath = "vae/harbour_vae.safetensors";
constexpr std::chrono::seconds clientTimeout{300};

} // namespace

class ForeignClientsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ForeignClientsTest);
    CPPUNIT_TEST(pythonRequestsClient);
    CPPUNIT_TEST(nodeFetchClient);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy = std::make_unique<fakes::FakeComfyUI>(_comfyRoot.path());
        _comfy->addModel("checkpoints", "sd15.safetensors");
        _comfy->addUser("default", "default"); // ComfyUI's one user: comfy.multi_user stays off
        _comfy->start();
        startModelSources();

        _server = std::make_unique<ServerProcess>(
            Settings{{"modules.dir", COMFYGATE_MODULE_DIR},
                     {"modules.enabled", "auth,comfy-proxy,model-download,userdata"},
                     {"comfy.url", _comfy->url()},
                     {"comfy.models_dir", _models.path()},
                     {"downloads.civitai.base_url", _civitai->apiUrl()},
                     {"downloads.huggingface.base_url", _hf->apiUrl()},
                     {"downloads.allow_private_addresses", "true"},
                     {"downloads.retry_base_ms", "50"},
                     {"downloads.retry_max_ms", "200"}},
            Settings{{"SECRET_KEY", "foreign-clients-test-secret-key-0123456789"}});
        addUser(user, "user", userPassword);
        addUser(admin, "admin", adminPassword);
        _server->start();

        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                     _server->runCommand({"token", "create", admin, "--label", "foreign-clients"}, out,
                                                         err));
        _apiToken = out.substr(0, out.find('\n')); // printed once, alone on its line
    }

    void tearDown() override
    {
        _server.reset();
        _civitai.reset();
        _hf.reset();
        if (_comfy)
            _comfy->stop();
        _comfy.reset();
    }

    void pythonRequestsClient()
    {
        requireProgram(python, "Python 3: install Debian's python3 and python3-requests (scripts/dev deps)");
        const auto probe = comfygate::test::runProgram({python, "-c", "import requests"}, {}, std::chrono::seconds(60));
        CPPUNIT_ASSERT_MESSAGE("the Python module `requests` is missing for " + python +
                                   ": install Debian's python3-requests (scripts/dev deps)\n" + probe.err,
                               probe.exitStatus == 0);
        runClient({python, clientsDir + "gateway_client.py"});
    }

    void nodeFetchClient()
    {
        requireProgram(node, "Node.js 18 or newer (its built-in fetch): install Debian's nodejs");
        const auto probe = comfygate::test::runProgram(
            {node, "-e", "process.exit(typeof fetch === 'function' ? 0 : 3)"}, {}, std::chrono::seconds(60));
        CPPUNIT_ASSERT_MESSAGE(node + " has no built-in fetch (Node.js 18 or newer is needed)\n" + probe.err,
                               probe.exitStatus == 0);
        runClient({node, clientsDir + "gateway_client.mjs"});
    }

private:
    /// A CivitAI model version and a Hugging Face file, small enough to download in a blink.
    void startModelSources()
    {
        _civitai = std::make_unique<fakes::FakeCivitai>();
        _hf = std::make_unique<fakes::FakeHuggingFace>();
        _civitai->addFile(
            fakes::FileSpec{"lora", "lighthouse_lora.safetensors", 96 * 1024, 5, fakes::ContentKind::Prng});
        fakes::CivitaiModel model;
        model.id = civitaiModel;
        model.name = "Lighthouse";
        _civitai->addModel(model);
        fakes::CivitaiFile file;
        file.id = 31;
        file.fileKey = "lora";
        fakes::CivitaiVersion version;
        version.id = civitaiVersion;
        version.modelId = civitaiModel;
        version.files = {file};
        _civitai->addVersion(version);
        _civitai->start();

        _hf->addFile(fakes::FileSpec{"vae", "harbour_vae.safetensors", 64 * 1024, 6, fakes::ContentKind::Prng});
        const std::string main = fakes::FakeHuggingFace::commitSha("main");
        fakes::HfRepo repo;
        repo.id = hfRepo;
        repo.revisions = {{"main", main}};
        repo.commits = {fakes::HfCommit{main, {fakes::HfEntry{hfPath, "vae", true}}}};
        _hf->addRepo(repo);
        _hf->start();
    }

    void addUser(const std::string& name, const std::string& role, const std::string& password)
    {
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            err, 0, _server->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err, password + "\n"));
    }

    static void requireProgram(const std::string& path, const std::string& what)
    {
        CPPUNIT_ASSERT_MESSAGE(path + " is missing; this test needs " + what,
                               Poco::File(path).exists() && Poco::File(path).canExecute());
    }

    /// Runs a client with the gateway's address and credentials in its environment and
    /// asserts that every one of its checks passed.
    void runClient(const std::vector<std::string>& args)
    {
        Settings environment{
            {"GATEWAY_URL", "http://127.0.0.1:" + std::to_string(_server->port())},
            {"GATEWAY_USER", user},
            {"GATEWAY_USER_PASSWORD", userPassword},
            {"GATEWAY_ADMIN", admin},
            {"GATEWAY_ADMIN_PASSWORD", adminPassword},
            {"GATEWAY_API_TOKEN", _apiToken},
            {"GATEWAY_CHECKPOINT", "sd15.safetensors"},
            {"GATEWAY_CIVITAI_VERSION", std::to_string(civitaiVersion)},
            {"GATEWAY_CIVITAI_KEY", "tok-ok"},
            {"GATEWAY_CLOUD_SOURCE_URL", "https://huggingface.co/" + hfRepo + "/resolve/main/" + hfPath}};
        if (const char* keepGoing = std::getenv("GATEWAY_KEEP_GOING"))
            environment["GATEWAY_KEEP_GOING"] = keepGoing; // every failed check, not just the first
        const ProgramResult result = comfygate::test::runProgram(args, environment, clientTimeout);
        const std::string program = args.back().substr(args.back().rfind('/') + 1);
        const std::string output = "\n--- " + program + " stdout ---\n" + result.out + "--- " + program +
                                   " stderr ---\n" + result.err + "--- gateway stderr (tail) ---\n" + gatewayLogTail();
        CPPUNIT_ASSERT_MESSAGE(program + " did not finish within " + std::to_string(clientTimeout.count()) + " s" +
                                   output,
                               !result.timedOut);
        CPPUNIT_ASSERT_MESSAGE(program + " failed with exit status " + std::to_string(result.exitStatus) + output,
                               result.exitStatus == 0);
        CPPUNIT_ASSERT_MESSAGE(program + " did not report `N passed, 0 failed`" + output,
                               result.out.find(" passed, 0 failed") != std::string::npos);
    }

    std::string gatewayLogTail() const
    {
        const std::string log = _server->stderrText();
        return log.size() > 6000 ? log.substr(log.size() - 6000) : log;
    }

    comfygate::test::TempDir _comfyRoot;
    comfygate::test::TempDir _models;
    std::unique_ptr<fakes::FakeComfyUI> _comfy;
    std::unique_ptr<fakes::FakeCivitai> _civitai;
    std::unique_ptr<fakes::FakeHuggingFace> _hf;
    std::unique_ptr<ServerProcess> _server;
    std::string _apiToken;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ForeignClientsTest);
