// Replays a fuzz target's saved inputs without libFuzzer: the normal build links each target's
// entry function with this main, and CTest runs it over the target's corpus/ and findings/, so
// every input that once crashed stays a regression test.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

} // namespace

int main(int argc, char** argv)
{
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path path(argv[i]);
        if (std::filesystem::is_regular_file(path)) {
            replay(path);
            ++replayed;
            continue;
        }
        if (!std::filesystem::is_directory(path))
            continue; // an empty findings/ folder may be absent from a checkout
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(path))
            if (entry.is_regular_file() && entry.path().filename().string()[0] != '.')
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            std::cout << "replay " << file.string() << std::endl;
            replay(file);
            ++replayed;
        }
    }
    std::cout << replayed << " inputs replayed without a crash" << std::endl;
    return replayed > 0 ? 0 : 1; // a target without a seed corpus is a mistake
}
