#include "HistoryFilter.h"

#include "UserScope.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace comfygate::comfyproxy {
namespace {

bool mayHoldApiKeys(std::string_view entry)
{
    // Both key names end in this; a plain search is far cheaper than a parse of every entry.
    return entry.find("_comfy_org\"") != std::string_view::npos;
}

std::string scrubbed(std::string_view entry)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
    const auto value = parser.parse(std::string(entry));
    if (const auto object = value.extract<Poco::JSON::Object::Ptr>())
        UserScope::scrubQueueItem(object->getArray("prompt"));
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

} // namespace

HistoryFilter::HistoryFilter(std::string_view history) : _members(JsonMembers::of(history))
{
    _separator = JsonMembers::separatorOf(_members);
}

std::vector<std::string> HistoryFilter::promptIds() const
{
    std::vector<std::string> ids;
    ids.reserve(_members.size());
    for (const auto& member : _members)
        ids.push_back(member.key);
    return ids;
}

std::string HistoryFilter::render(const std::function<bool(const std::string&)>& keep, const HistoryPage& page) const
{
    return render(std::vector<const HistoryFilter*>{this}, keep, page);
}

std::string HistoryFilter::render(const std::vector<const HistoryFilter*>& histories,
                                  const std::function<bool(const std::string&)>& keep, const HistoryPage& page)
{
    std::vector<const JsonMembers::Member*> kept;
    std::string_view separator = histories.empty() ? std::string_view(", ") : histories.front()->_separator;
    std::size_t bytes = 2;
    for (const HistoryFilter* history : histories) {
        for (const auto& member : history->_members) {
            if (keep(member.key)) {
                kept.push_back(&member);
                bytes += member.member.size() + separator.size();
            }
        }
    }
    const auto [begin, end] = page.range(kept.size());
    std::string out;
    out.reserve(bytes);
    out += '{';
    for (std::size_t i = begin; i < end; ++i) {
        if (i != begin)
            out += separator;
        append(out, *kept[i]);
    }
    out += '}';
    return out;
}

void HistoryFilter::append(std::string& out, const JsonMembers::Member& member)
{
    if (!mayHoldApiKeys(member.value)) {
        out += member.member;
        return;
    }
    out += member.member.substr(0, static_cast<std::size_t>(member.value.data() - member.member.data()));
    out += scrubbed(member.value);
}

} // namespace comfygate::comfyproxy
