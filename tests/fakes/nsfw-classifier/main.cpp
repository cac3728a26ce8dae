// fake-nsfw-classifier --port N [--nsfw-word W]...: the FakeNsfwClassifier as a process
// (prints "listening on PORT", serves until SIGTERM/SIGINT).
#include "FakeNsfwClassifier.h"

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    unsigned port = 0;
    std::vector<std::string> words;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string option = argv[i];
        if (option == "--port") {
            port = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
        } else if (option == "--nsfw-word") {
            words.emplace_back(argv[i + 1]);
        } else {
            std::cerr << "usage: fake-nsfw-classifier [--port N] [--nsfw-word W]...\n";
            return 2;
        }
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    comfygate::fakes::FakeNsfwClassifier classifier(words);
    classifier.start(port);
    std::cout << "listening on " << classifier.port() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    classifier.stop();
    return 0;
}
