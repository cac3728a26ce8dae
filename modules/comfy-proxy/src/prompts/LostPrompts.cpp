#include "LostPrompts.h"

#include <Poco/JSON/Array.h>

#include <sstream>

namespace comfygate::comfyproxy {
namespace {

Poco::JSON::Object::Ptr ordered()
{
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

/// The data of ComfyUI's execution_error, with no node to blame.
Poco::JSON::Object::Ptr errorData(const std::string& promptId, const std::string& message, std::int64_t timestampMs)
{
    auto data = ordered();
    data->set("prompt_id", promptId);
    data->set("node_id", Poco::Dynamic::Var());
    data->set("node_type", "");
    data->set("executed", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    data->set("exception_message", message);
    data->set("exception_type", "comfygate.UpstreamLost");
    data->set("traceback", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    data->set("current_inputs", ordered());
    data->set("current_outputs", ordered());
    data->set("timestamp", timestampMs);
    return data;
}

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string text(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

} // namespace

std::string LostPrompts::failureMessage(const std::string& hostUrl, const std::string& error)
{
    return "the ComfyUI host " + hostUrl + " stopped answering with this prompt queued or running (" + error +
           "): submit it again";
}

std::string LostPrompts::errorEvent(const std::string& promptId, const std::string& message)
{
    auto frame = ordered();
    frame->set("type", "execution_error");
    frame->set("data", errorData(promptId, message, nowMs()));
    return text(frame);
}

std::string LostPrompts::historyOf(const std::vector<PromptOwners::Failure>& failures,
                                   const std::set<std::string>& present)
{
    auto history = ordered();
    for (const auto& failure : failures) {
        if (present.count(failure.promptId))
            continue;
        Poco::JSON::Array::Ptr message = new Poco::JSON::Array;
        message->add("execution_error");
        message->add(errorData(failure.promptId, failure.message, failure.createdAt * 1000));
        Poco::JSON::Array::Ptr messages = new Poco::JSON::Array;
        messages->add(message);
        auto status = ordered();
        status->set("status_str", "error");
        status->set("completed", false);
        status->set("messages", messages);
        auto entry = ordered();
        entry->set("prompt", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
        entry->set("outputs", ordered());
        entry->set("status", status);
        entry->set("meta", ordered());
        history->set(failure.promptId, entry);
    }
    return text(history);
}

Poco::JSON::Object::Ptr LostPrompts::job(const PromptOwners::Failure& failure)
{
    auto job = ordered();
    job->set("id", failure.promptId);
    job->set("status", "failed");
    job->set("create_time", failure.createdAt * 1000);
    job->set("outputs_count", 0);
    job->set("execution_error", errorData(failure.promptId, failure.message, failure.createdAt * 1000));
    return job;
}

} // namespace comfygate::comfyproxy
