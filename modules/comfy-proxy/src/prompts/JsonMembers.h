#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace comfygate::comfyproxy {

/// The top-level members of a JSON object text, found without building a document: each
/// member's decoded key and where its bytes (`"key": value`, as written) and its value lie.
/// Values are skipped by their nesting and strings (escapes included), so a brace or a quote
/// inside a string never ends a value early. Filters that keep some members can then copy
/// their bytes unchanged: same key order, same number formatting as the source.
class JsonMembers
{
public:
    struct Member
    {
        std::string key;         ///< decoded (escapes resolved)
        std::string_view member; ///< from the key's opening quote to the end of the value
        std::string_view value;
    };

    /// Thrown when the text is not one JSON object (its nesting, strings or separators are wrong).
    struct Malformed : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    /// The members of `text`, in their order; `text` must outlive the views.
    static std::vector<Member> of(std::string_view text);

    /// The bytes between the first two members (`,` or `, `), so that members copied from a
    /// source can be joined the way the source joins them; `", "` (Python's json) without two.
    static std::string_view separatorOf(const std::vector<Member>& members);
};

} // namespace comfygate::comfyproxy
