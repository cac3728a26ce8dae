#pragma once

#include "FakeComfyUI.h"
#include "FakeHuggingFace.h"
#include "ServerProcess.h"
#include "SoakOperations.h"
#include "TempDir.h"

#include <memory>

namespace comfygate::soak {

/// Everything the soak runs against: the fake ComfyUI and the fake Hugging Face in this
/// process, and the real comfygate binary with the real auth, comfy-proxy and model-download
/// modules in front of them, with an admin and `users` ordinary accounts made by the CLI.
class SoakEnvironment
{
public:
    SoakEnvironment(int users, int downloadFiles);
    ~SoakEnvironment();

    test::ServerProcess& server() { return *_server; }
    /// What SoakOperations needs to address all of it.
    SoakOperations::Settings operationSettings() const;

private:
    void addAccount(const std::string& name, const std::string& role);

    test::TempDir _root;
    std::unique_ptr<fakes::FakeComfyUI> _comfy;
    fakes::FakeHuggingFace _hf;
    std::unique_ptr<test::ServerProcess> _server;
    std::vector<std::string> _users;
    std::vector<std::string> _files;
};

} // namespace comfygate::soak
