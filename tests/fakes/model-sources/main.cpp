#include "FakeCivitai.h"
#include "FakeHuggingFace.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <string>

using comfygate::fakes::FakeCivitai;
using comfygate::fakes::FakeHuggingFace;
using comfygate::fakes::FixtureFile;

namespace {

int usage()
{
    std::cerr << "usage: fake-model-sources [--fixture FILE.json] [--civitai-port N] [--civitai-storage-port N]\n"
                 "                          [--hf-port N] [--hf-cdn-port N]"
              << std::endl;
    return 64;
}

} // namespace

/// Serves a fake CivitAI and a fake Hugging Face (both with their storage/CDN listener) until
/// SIGTERM or SIGINT, loaded from a fixture document (see README.md). Prints the four base URLs.
int main(int argc, char** argv)
{
    std::string fixturePath;
    unsigned ports[4] = {0, 0, 0, 0};
    try {
        for (int i = 1; i < argc; i += 2) {
            const std::string option = argv[i];
            if (i + 1 >= argc)
                return usage();
            if (option == "--fixture")
                fixturePath = argv[i + 1];
            else if (option == "--civitai-port")
                ports[0] = static_cast<unsigned>(std::stoul(argv[i + 1]));
            else if (option == "--civitai-storage-port")
                ports[1] = static_cast<unsigned>(std::stoul(argv[i + 1]));
            else if (option == "--hf-port")
                ports[2] = static_cast<unsigned>(std::stoul(argv[i + 1]));
            else if (option == "--hf-cdn-port")
                ports[3] = static_cast<unsigned>(std::stoul(argv[i + 1]));
            else
                return usage();
        }
    } catch (const std::exception&) {
        return usage();
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    FakeCivitai civitai;
    FakeHuggingFace huggingFace;
    if (!fixturePath.empty()) {
        try {
            std::ifstream input(fixturePath);
            if (!input)
                throw std::invalid_argument("cannot read " + fixturePath);
            auto document = Poco::JSON::Parser().parse(input).extract<Poco::JSON::Object::Ptr>();
            // Hash each file once and share it between the two fakes.
            if (const auto files = document->getArray("files")) {
                for (std::size_t i = 0; i < files->size(); ++i) {
                    const auto entry = files->getObject(static_cast<unsigned>(i));
                    if (!entry)
                        throw std::invalid_argument("files[] entries must be objects");
                    auto file = std::make_shared<const FixtureFile>(comfygate::fakes::fileSpecFromJson(*entry));
                    civitai.addFile(file);
                    huggingFace.addFile(file);
                }
                document->remove("files");
            }
            civitai.loadFixture(*document);
            huggingFace.loadFixture(*document);
        } catch (const Poco::Exception& error) {
            std::cerr << "fixture: " << error.displayText() << std::endl;
            return 65;
        } catch (const std::exception& error) {
            std::cerr << "fixture: " << error.what() << std::endl;
            return 65;
        }
    }
    civitai.start(ports[0], ports[1]);
    huggingFace.start(ports[2], ports[3]);
    std::cout << "civitai " << civitai.apiUrl() << " storage " << civitai.storageUrl() << "\n"
              << "huggingface " << huggingFace.apiUrl() << " cdn " << huggingFace.storageUrl() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    huggingFace.stop();
    civitai.stop();
    return 0;
}
