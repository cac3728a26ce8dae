#include "DownloadJob.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>

namespace comfygate::modeldownload {

const char* toString(JobStatus status)
{
    switch (status) {
    case JobStatus::Queued:
        return "queued";
    case JobStatus::Running:
        return "running";
    case JobStatus::Completed:
        return "completed";
    case JobStatus::Failed:
        return "failed";
    case JobStatus::Cancelled:
        return "cancelled";
    }
    return "failed";
}

JobStatus jobStatusFromString(const std::string& text)
{
    for (JobStatus status :
         {JobStatus::Queued, JobStatus::Running, JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled}) {
        if (text == toString(status))
            return status;
    }
    throw std::invalid_argument("unknown download job status '" + text + "'");
}

std::string DownloadRequest::toJson() const
{
    Poco::JSON::Object object;
    object.set("source", source);
    object.set("folder_type", folderType);
    object.set("destination_type", destinationType);
    object.set("model_version_id", modelVersionId);
    object.set("type", type);
    object.set("format", format);
    object.set("size", size);
    object.set("fp", fp);
    object.set("civitai_host", civitaiHost);
    object.set("repo_id", repoId);
    object.set("filename", filename);
    object.set("subfolder", subfolder);
    object.set("revision", revision);
    object.set("target_username", targetUsername);
    Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
    subject->set("user_id", requester.userId);
    subject->set("username", requester.username);
    subject->set("role", requester.role);
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    for (const auto& group : requester.groups)
        groups->add(group);
    subject->set("groups", groups);
    object.set("requester", subject);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

DownloadRequest DownloadRequest::fromJson(const std::string& json)
{
    const auto object = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    auto text = [&](const char* name) { return object->optValue<std::string>(name, ""); };
    DownloadRequest request;
    request.source = text("source");
    request.folderType = text("folder_type");
    request.destinationType = text("destination_type");
    request.modelVersionId = text("model_version_id");
    request.type = text("type");
    request.format = text("format");
    request.size = text("size");
    request.fp = text("fp");
    request.civitaiHost = text("civitai_host");
    request.repoId = text("repo_id");
    request.filename = text("filename");
    request.subfolder = text("subfolder");
    request.revision = text("revision");
    request.targetUsername = text("target_username");
    if (const auto subject = object->getObject("requester")) {
        request.requester.userId = subject->optValue<std::string>("user_id", "");
        request.requester.username = subject->optValue<std::string>("username", "");
        request.requester.role = subject->optValue<std::string>("role", "");
        if (const auto groups = subject->getArray("groups")) {
            for (std::size_t i = 0; i < groups->size(); ++i)
                request.requester.groups.push_back(groups->getElement<std::string>(i));
        }
    }
    return request;
}

} // namespace comfygate::modeldownload
