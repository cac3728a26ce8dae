#pragma once

#include "HistoryPage.h"
#include "JsonMembers.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace comfygate::comfyproxy {

/// ComfyUI's GET /history answer (an object of prompt id → entry) cut down to some prompts
/// without building a document: the kept entries are copied byte for byte, in ComfyUI's order
/// and with its formatting, and joined the way ComfyUI joins them. Parsing and re-serialising
/// the whole history cost a gateway most of its time per request (issue 18).
///
/// The one entry that is rewritten is one that carries the Comfy.org credentials ComfyUI
/// versions before 0.3.68 left in a prompt's extra_data: it is parsed, scrubbed and written anew.
class HistoryFilter
{
public:
    /// Throws JsonMembers::Malformed when `history` is not a JSON object; `history` must
    /// outlive the filter.
    explicit HistoryFilter(std::string_view history);

    /// The prompt ids, in ComfyUI's order.
    std::vector<std::string> promptIds() const;

    /// The entries whose id `keep` accepts, then paged by `page`, as one JSON object.
    std::string render(const std::function<bool(const std::string&)>& keep, const HistoryPage& page) const;

    /// render() over several histories (one per ComfyUI host, comfy.upstreams) as one list:
    /// their entries in the order given, joined with the first history's separator.
    static std::string render(const std::vector<const HistoryFilter*>& histories,
                              const std::function<bool(const std::string&)>& keep, const HistoryPage& page);

private:
    static void append(std::string& out, const JsonMembers::Member& member);

    std::vector<JsonMembers::Member> _members;
    std::string_view _separator;
};

} // namespace comfygate::comfyproxy
