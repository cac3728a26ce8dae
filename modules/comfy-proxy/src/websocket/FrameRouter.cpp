#include "FrameFilter.h"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cstdint>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

enum BinaryType : std::uint32_t
{
    PreviewImage = 1,
    Text = 3,
    PreviewImageWithMetadata = 4
};

std::uint32_t readUint32(const std::string& bytes, std::size_t offset)
{
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i)
        value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

std::optional<FrameFilter::Frame> FrameFilter::filter(const Viewer& viewer, const std::string& payload, bool binary,
                                                      Clock::time_point receivedAt)
{
    try {
        return binary ? filterBinary(viewer, payload) : filterText(viewer, payload, receivedAt);
    } catch (const Poco::Exception&) {
        return std::nullopt; // not what ComfyUI sends: nobody gets it
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool FrameFilter::owns(const Viewer& viewer, const std::string& promptId)
{
    if (!_separateUsers)
        return true;
    const auto owner = _owners.ownerOf(promptId);
    return owner && *owner == viewer.userId;
}

bool FrameFilter::runsNow(const Viewer& viewer)
{
    // A prompt without client_id sends nothing with its id before its first progress event,
    // so after a queue change the tracker asks /queue before attributing a frame.
    if (const auto since = _running.outdatedSince())
        _queue.refreshRunning(*since);
    const auto running = _running.current();
    return running && owns(viewer, *running);
}

std::optional<FrameFilter::Frame> FrameFilter::filterText(const Viewer& viewer, const std::string& payload,
                                                          Clock::time_point receivedAt)
{
    const auto message = parseObject(payload);
    const std::string type = message->optValue<std::string>("type", "");
    const auto data = message->getObject("data");
    if (type == "logs")
        return viewer.seesLogs ? std::optional(Frame{payload, false, false}) : std::nullopt;
    if (type == "status") {
        _running.queueChanged(receivedAt);
        return Frame{rewriteStatus(viewer, payload, receivedAt), false, false};
    }
    if (type == "feature_flags")
        return Frame{payload, false, false};
    if (data && data->has("prompt_id") && data->get("prompt_id").isString()) {
        const std::string promptId = data->getValue<std::string>("prompt_id");
        const bool nodeIsNull = data->has("node") && data->get("node").isEmpty();
        _running.observe(type, promptId, nodeIsNull, receivedAt);
        if (!owns(viewer, promptId))
            return std::nullopt;
        return Frame{payload, false, false};
    }
    if (type == "executing")
        return Frame{payload, false, false}; // the reconnect frame, sent to this socket's sid only
    if (!runsNow(viewer))
        return std::nullopt;
    return Frame{payload, false, false};
}

std::optional<FrameFilter::Frame> FrameFilter::filterBinary(const Viewer& viewer, const std::string& payload)
{
    if (payload.size() < 4)
        return std::nullopt;
    switch (readUint32(payload, 0)) {
    case PreviewImageWithMetadata: {
        if (payload.size() < 8)
            return std::nullopt;
        const std::uint32_t length = readUint32(payload, 4);
        if (length > payload.size() - 8)
            return std::nullopt;
        const auto metadata = parseObject(payload.substr(8, length));
        const std::string promptId = metadata->optValue<std::string>("prompt_id", "");
        if (promptId.empty() || !owns(viewer, promptId))
            return std::nullopt;
        return Frame{payload, true, true};
    }
    case PreviewImage:
        if (!runsNow(viewer))
            return std::nullopt;
        return Frame{payload, true, true};
    case Text:
        if (!runsNow(viewer))
            return std::nullopt;
        return Frame{payload, true, false};
    default:
        return std::nullopt;
    }
}

std::string FrameFilter::rewriteStatus(const Viewer& viewer, const std::string& payload, Clock::time_point receivedAt)
{
    Poco::JSON::Object::Ptr message = parseObject(payload);
    Poco::JSON::Object::Ptr data = message->getObject("data");
    if (!data)
        return payload;
    if (data->has("sid"))
        data->set("sid", viewer.clientId);
    Poco::JSON::Object::Ptr status = data->getObject("status");
    Poco::JSON::Object::Ptr execInfo = status ? status->getObject("exec_info") : Poco::JSON::Object::Ptr();
    if (_separateUsers && execInfo && execInfo->has("queue_remaining")) {
        const int global = execInfo->optValue<int>("queue_remaining", 0);
        execInfo->set("queue_remaining", _queue.remainingFor(viewer.userId, global, receivedAt));
    }
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(message, out);
    return out.str();
}

} // namespace comfygate::comfyproxy
