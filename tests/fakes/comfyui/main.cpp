#include "FakeComfyUI.h"

#include <csignal>
#include <iostream>
#include <string>

namespace {

int usage()
{
    std::cerr << "usage: fake-comfyui --port N --root DIR [--slow-ms N]" << std::endl;
    return 64;
}

} // namespace

/// `fake-comfyui --port N --root DIR [--slow-ms N]`: serves until SIGTERM or SIGINT.
int main(int argc, char** argv)
{
    unsigned port = 0;
    std::string root;
    long slowMs = 0;
    try {
        for (int i = 1; i < argc; i += 2) {
            const std::string option = argv[i];
            if (i + 1 >= argc) return usage();
            if (option == "--port") port = static_cast<unsigned>(std::stoul(argv[i + 1]));
            else if (option == "--root") root = argv[i + 1];
            else if (option == "--slow-ms") slowMs = std::stol(argv[i + 1]);
            else return usage();
        }
    } catch (const std::exception&) {
        return usage();
    }
    if (root.empty()) return usage();

    // Block the termination signals before any thread starts so only sigwait receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    comfygate::fakes::FakeComfyUI server(root);
    server.setDelay(std::chrono::milliseconds(slowMs));
    server.start(port);
    std::cout << "listening on " << server.port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
    return 0;
}
