#include "FrameRouter.h"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cstdint>
#include <set>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

enum BinaryType : std::uint32_t
{
    PreviewImage = 1,
    Text = 3,
    PreviewImageWithMetadata = 4
};

enum PreviewFormat : std::uint32_t
{
    Jpeg = 1,
    Png = 2
};

/// The events ComfyUI sends only to the prompt's client_id, never broadcast (reference §7.2 "T").
const std::set<std::string> addressedOnlyTypes{"execution_start", "execution_cached", "executing",
                                               "executed",        "execution_success", "execution_error"};

std::uint32_t readUint32(const std::string& bytes, std::size_t offset)
{
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i)
        value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

void appendUint32(std::string& bytes, std::uint32_t value)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        bytes += static_cast<char>((value >> shift) & 0xff);
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string stringify(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(object, out);
    return out.str();
}

/// The JSON metadata of a type-4 preview, or null when the frame is malformed.
Poco::JSON::Object::Ptr previewMetadata(const std::string& payload, std::uint32_t& length)
{
    if (payload.size() < 8)
        return nullptr;
    length = readUint32(payload, 4);
    if (length > payload.size() - 8)
        return nullptr;
    return parseObject(payload.substr(8, length));
}

} // namespace

FrameRouter::Delivery FrameRouter::route(const std::string& payload, bool binary, Clock::time_point receivedAt)
{
    try {
        return binary ? routeBinary(payload) : routeText(payload, receivedAt);
    } catch (const Poco::Exception&) {
        return {}; // not what ComfyUI sends: nobody gets it
    } catch (const std::exception&) {
        return {};
    }
}

FrameRouter::Delivery FrameRouter::toUser(const std::string& userId) const
{
    Delivery delivery;
    delivery.to = _separateUsers ? Delivery::To::User : Delivery::To::Everyone;
    delivery.userId = userId;
    return delivery;
}

FrameRouter::Delivery FrameRouter::toSubmitter(const std::string& promptId, bool broadcastWithoutTab)
{
    const auto submitter = _owners.submitterOf(promptId);
    if (!submitter) {
        // Not submitted through this gateway: ComfyUI sent it here only as a broadcast.
        Delivery everyone;
        if (!_separateUsers && broadcastWithoutTab)
            everyone.to = Delivery::To::Everyone;
        return everyone;
    }
    if (submitter->clientId.empty())
        return broadcastWithoutTab ? toUser(submitter->userId) : Delivery{};
    Delivery tab;
    tab.to = Delivery::To::Tab;
    tab.userId = _separateUsers ? submitter->userId : std::string();
    tab.clientId = submitter->clientId;
    return tab;
}

std::optional<std::string> FrameRouter::runningPrompt()
{
    // A frame without prompt id may arrive before any event of the prompt that produced it,
    // so after a queue change the tracker asks /queue before attributing one.
    if (const auto since = _running.outdatedSince())
        _queue.refreshRunning(*since);
    return _running.current();
}

FrameRouter::Delivery FrameRouter::toRunningTab(bool broadcastWithoutTab)
{
    const auto running = runningPrompt();
    return running ? toSubmitter(*running, broadcastWithoutTab) : Delivery{};
}

FrameRouter::Delivery FrameRouter::toRunningUser()
{
    const auto running = runningPrompt();
    if (!running)
        return {};
    if (const auto submitter = _owners.submitterOf(*running))
        return toUser(submitter->userId);
    Delivery unknown;
    if (!_separateUsers)
        unknown.to = Delivery::To::Everyone;
    return unknown;
}

FrameRouter::Delivery FrameRouter::routeText(const std::string& payload, Clock::time_point receivedAt)
{
    const auto message = parseObject(payload);
    const std::string type = message->optValue<std::string>("type", "");
    const auto data = message->getObject("data");
    Delivery delivery;
    if (type == "logs") {
        delivery.to = Delivery::To::LogSubscribers;
        return delivery;
    }
    if (type == "status") {
        _running.queueChanged(receivedAt);
        delivery.to = Delivery::To::Everyone;
        delivery.status = true;
        return delivery;
    }
    if (type == "feature_flags") {
        delivery.to = Delivery::To::Gateway;
        return delivery;
    }
    if (data && data->has("prompt_id") && data->get("prompt_id").isString()) {
        const std::string promptId = data->getValue<std::string>("prompt_id");
        const bool nodeIsNull = data->has("node") && data->get("node").isEmpty();
        _running.observe(type, promptId, nodeIsNull, receivedAt);
        if (type == "executing")
            noteExecutingNode(promptId, data);
        if (_finished)
            _finished->observe(type, promptId, data);
        return toSubmitter(promptId, addressedOnlyTypes.count(type) == 0);
    }
    if (type == "executing") {
        return toRunningTab(false); // the reconnect frame: to the sid of the prompt it executes
    }
    return toRunningUser();
}

FrameRouter::Delivery FrameRouter::routeBinary(const std::string& payload)
{
    if (payload.size() < 4)
        return {};
    Delivery delivery;
    switch (readUint32(payload, 0)) {
    case PreviewImageWithMetadata: {
        std::uint32_t length = 0;
        const auto metadata = previewMetadata(payload, length);
        const std::string promptId = metadata ? metadata->optValue<std::string>("prompt_id", "") : "";
        if (promptId.empty())
            return {};
        // Without a client_id ComfyUI broadcasts previews (as type 1): the user's tabs.
        delivery = toSubmitter(promptId, true);
        delivery.metadataPreview = true;
        break;
    }
    case PreviewImage:
        delivery = toRunningTab(true);
        break;
    case Text:
        return toRunningUser(); // ComfyUI always broadcasts it
    default:
        return {};
    }
    delivery.preview = true;
    return delivery;
}

std::string FrameRouter::statusFor(const Viewer& viewer, const std::string& payload, Clock::time_point receivedAt)
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
    return stringify(message);
}

std::string FrameRouter::firstStatus(const Viewer& viewer)
{
    const auto remaining = _queue.remainingNow(viewer.userId);
    int count = 0;
    if (remaining)
        count = _separateUsers ? remaining->user : remaining->total;
    Poco::JSON::Object::Ptr execInfo = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    execInfo->set("queue_remaining", count);
    Poco::JSON::Object::Ptr status = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    status->set("exec_info", execInfo);
    Poco::JSON::Object::Ptr data = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    data->set("status", status);
    data->set("sid", viewer.clientId);
    Poco::JSON::Object::Ptr message = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    message->set("type", "status");
    message->set("data", data);
    return stringify(message);
}

void FrameRouter::noteExecutingNode(const std::string& promptId, const Poco::JSON::Object::Ptr& data)
{
    std::lock_guard lock(_nodeMutex);
    _nodePrompt = promptId;
    _node = data->has("node") && data->get("node").isString() ? data->getValue<std::string>("node") : "";
}

std::string FrameRouter::reconnectFrame(const Viewer& viewer)
{
    std::string promptId;
    std::string node;
    {
        std::lock_guard lock(_nodeMutex);
        promptId = _nodePrompt;
        node = _node;
    }
    if (node.empty() || _running.current() != promptId)
        return {};
    const auto submitter = _owners.submitterOf(promptId);
    if (!submitter || submitter->clientId != viewer.clientId || (_separateUsers && submitter->userId != viewer.userId))
        return {};
    Poco::JSON::Object::Ptr data = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    data->set("node", node);
    Poco::JSON::Object::Ptr message = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    message->set("type", "executing");
    message->set("data", data);
    return stringify(message);
}

std::string FrameRouter::asPlainPreview(const std::string& payload)
{
    if (payload.size() < 4 || readUint32(payload, 0) != PreviewImageWithMetadata)
        return {};
    std::uint32_t length = 0;
    Poco::JSON::Object::Ptr metadata;
    try {
        metadata = previewMetadata(payload, length);
    } catch (const Poco::Exception&) {
        return {};
    }
    if (!metadata)
        return {};
    const bool png = metadata->optValue<std::string>("image_type", "") == "image/png";
    std::string plain;
    plain.reserve(payload.size() - length);
    appendUint32(plain, PreviewImage);
    appendUint32(plain, png ? Png : Jpeg);
    plain.append(payload, 8 + length, std::string::npos);
    return plain;
}

} // namespace comfygate::comfyproxy
