#pragma once

#include <set>
#include <string>

namespace comfygate::civitaicatalog {

/// Decides whether a CivitAI search hit names the dependency we searched for (§2.4: "accepted
/// when at least 60 % of words overlap"), because search is fuzzy and ranks loosely related
/// models first.
///
/// Words: the name is cut at every character that is not an ASCII letter or digit, and between
/// a lower-case letter and a following upper-case one (`EasyNegative` → easy, negative); words
/// are lower-cased and counted once. Overlap = |common words| / max(|words of a|, |words of b|),
/// so extra words on either side lower it; 0 when either name has no word.
class NameOverlap
{
public:
    static constexpr double acceptedShare = 0.6;

    static std::set<std::string> words(const std::string& name);
    static double share(const std::string& a, const std::string& b);
    static bool accepted(const std::string& searched, const std::string& found)
    {
        return share(searched, found) >= acceptedShare;
    }
};

} // namespace comfygate::civitaicatalog
