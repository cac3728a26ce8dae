#include "LinkTable.h"

#include "JsonField.h"
#include "WorkflowConversionError.h"

#include <Poco/JSON/Object.h>

namespace comfygate::userdata {

const std::string LinkTable::SubgraphInputId = "-10";
const std::string LinkTable::SubgraphOutputId = "-20";

LinkTable::LinkTable(const Poco::JSON::Array::Ptr& links, const std::string& where)
{
    if (!links)
        return;
    for (std::size_t i = 0; i < links->size(); ++i) {
        auto link = read(links->get(i), where);
        const auto id = link.id;
        if (!_links.emplace(id, std::move(link)).second)
            throw WorkflowConversionError(where + ": link " + id + " appears twice");
    }
}

GraphLink LinkTable::read(const Poco::Dynamic::Var& entry, const std::string& where)
{
    GraphLink link;
    if (entry.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto fields = entry.extract<Poco::JSON::Array::Ptr>();
        if (!fields || fields->size() < 5)
            throw WorkflowConversionError(where + ": a link array has fewer than 5 fields");
        link.id = JsonField::id(fields->get(0), where + ": link id");
        const auto what = where + ": link " + link.id;
        link.originId = JsonField::id(fields->get(1), what + " origin");
        link.originSlot = JsonField::integer(fields->get(2), what + " origin slot");
        link.targetId = JsonField::id(fields->get(3), what + " target");
        link.targetSlot = JsonField::integer(fields->get(4), what + " target slot");
        if (fields->size() > 5 && fields->get(5).isString())
            link.type = fields->get(5).extract<std::string>();
        return link;
    }
    if (entry.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto fields = entry.extract<Poco::JSON::Object::Ptr>();
        link.id = JsonField::id(fields->get("id"), where + ": link id");
        const auto what = where + ": link " + link.id;
        link.originId = JsonField::id(fields->get("origin_id"), what + " origin");
        link.originSlot = JsonField::integer(fields->get("origin_slot"), what + " origin slot");
        link.targetId = JsonField::id(fields->get("target_id"), what + " target");
        link.targetSlot = JsonField::integer(fields->get("target_slot"), what + " target slot");
        link.type = JsonField::string(fields, "type");
        return link;
    }
    throw WorkflowConversionError(where + ": a link is neither an array nor an object");
}

const GraphLink* LinkTable::find(const std::string& id) const
{
    const auto it = _links.find(id);
    return it == _links.end() ? nullptr : &it->second;
}

const GraphLink* LinkTable::findInto(const std::string& targetId, int targetSlot) const
{
    for (const auto& [id, link] : _links) {
        if (link.targetId == targetId && link.targetSlot == targetSlot)
            return &link;
    }
    return nullptr;
}

} // namespace comfygate::userdata
