#include "SoakEnvironment.h"

#include "TestPaths.h"

#include <filesystem>
#include <stdexcept>

namespace comfygate::soak {

namespace {

constexpr const char* password = "soak-password-violet-4242";
constexpr const char* adminName = "soak_admin";
constexpr const char* hfRepo = "soak/models";
constexpr std::uint64_t downloadBytes = 64 * 1024;

} // namespace

SoakEnvironment::SoakEnvironment(int users, int downloadFiles)
{
    std::filesystem::create_directories(_root.path() + "/comfy");
    std::filesystem::create_directories(_root.path() + "/models");
    _comfy = std::make_unique<fakes::FakeComfyUI>(_root.path() + "/comfy");
    _comfy->addModel("checkpoints", "sd15.safetensors");
    _comfy->setExecutionTime(std::chrono::milliseconds(20));
    _comfy->setPreviewFrames(0);
    _comfy->start();

    fakes::HfCommit commit;
    commit.sha = fakes::FakeHuggingFace::commitSha("main");
    for (int i = 0; i < downloadFiles; ++i) {
        const std::string name = "soak_" + std::to_string(i) + ".safetensors";
        _hf.addFile(fakes::FileSpec{"soak-" + std::to_string(i), name, downloadBytes, static_cast<std::uint64_t>(100 + i),
                                    fakes::ContentKind::Prng});
        commit.files.push_back(fakes::HfEntry{name, "soak-" + std::to_string(i), true});
        _files.push_back(name);
    }
    fakes::HfRepo repo;
    repo.id = hfRepo;
    repo.revisions = {{"main", commit.sha}};
    repo.commits = {commit};
    _hf.addRepo(repo);
    _hf.start();

    _server = std::make_unique<test::ServerProcess>(
        std::map<std::string, std::string>{{"modules.dir", COMFYGATE_MODULE_DIR},
                                           {"modules.enabled", "auth,comfy-proxy,model-download"},
                                           {"comfy.url", _comfy->url()},
                                           {"comfy.models_dir", _root.path() + "/models"},
                                           {"downloads.huggingface.base_url", _hf.apiUrl()},
                                           {"downloads.allow_private_addresses", "true"},
                                           {"http.access_log", "off"},
                                           {"log.level", "warning"}},
        std::map<std::string, std::string>{{"SECRET_KEY", "soak-secret-key-0123456789abcdef0123456789"}});
    addAccount(adminName, "admin");
    for (int i = 1; i <= users; ++i) {
        _users.push_back("soak_user_" + std::to_string(i));
        addAccount(_users.back(), "user");
    }
    _server->start();
}

SoakEnvironment::~SoakEnvironment()
{
    _server.reset();
    _hf.stop();
    _comfy->stop();
}

void SoakEnvironment::addAccount(const std::string& name, const std::string& role)
{
    std::string out, err;
    if (_server->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err,
                            std::string(password) + "\n") != 0)
        throw std::runtime_error("comfygate user add " + name + " failed: " + err);
}

SoakOperations::Settings SoakEnvironment::operationSettings() const
{
    SoakOperations::Settings settings;
    settings.port = _server->port();
    settings.password = password;
    settings.adminName = adminName;
    settings.users = _users;
    settings.hfRepo = hfRepo;
    settings.files = _files;
    settings.modelsDir = _root.path() + "/models";
    return settings;
}

} // namespace comfygate::soak
