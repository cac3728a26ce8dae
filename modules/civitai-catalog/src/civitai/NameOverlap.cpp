#include "NameOverlap.h"

#include <algorithm>
#include <cctype>

namespace comfygate::civitaicatalog {

std::set<std::string> NameOverlap::words(const std::string& name)
{
    std::set<std::string> words;
    std::string word;
    auto finish = [&] {
        if (!word.empty())
            words.insert(word);
        word.clear();
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c >= 0x80 || !std::isalnum(c)) {
            finish();
            continue;
        }
        if (std::isupper(c) && i > 0 && std::islower(static_cast<unsigned char>(name[i - 1])))
            finish();
        word += static_cast<char>(std::tolower(c));
    }
    finish();
    return words;
}

double NameOverlap::share(const std::string& a, const std::string& b)
{
    const auto wordsA = words(a);
    const auto wordsB = words(b);
    if (wordsA.empty() || wordsB.empty())
        return 0;
    const auto common =
        std::count_if(wordsA.begin(), wordsA.end(), [&](const std::string& word) { return wordsB.count(word) > 0; });
    return static_cast<double>(common) / static_cast<double>(std::max(wordsA.size(), wordsB.size()));
}

} // namespace comfygate::civitaicatalog
