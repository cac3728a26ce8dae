#include "JobList.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

bool parseInt(const std::string& text, long long& value)
{
    const std::string trimmed = Poco::trim(text);
    char* end = nullptr;
    errno = 0;
    value = std::strtoll(trimmed.c_str(), &end, 10);
    return !trimmed.empty() && *end == '\0' && errno == 0;
}

Var workflowIdOf(const Object::Ptr& extraData)
{
    if (!extraData) return {};
    Object::Ptr pngInfo = extraData->getObject("extra_pnginfo");
    Object::Ptr workflow = pngInfo ? pngInfo->getObject("workflow") : nullptr;
    if (!workflow || !workflow->has("id")) return {};
    return workflow->get("id");
}

} // namespace

JobList::JobList(ExecutionQueue::Snapshot snapshot) : _snapshot(std::move(snapshot))
{
}

JobList::Job JobList::fromItem(const ExecutionQueue::Item& item, const std::string& status)
{
    Job job;
    job.item = &item;
    job.status = status;
    job.summary = ordered();
    job.summary->set("id", item.promptId);
    job.summary->set("status", status);
    job.summary->set("priority", item.number);
    if (item.extraData->has("create_time")) {
        job.summary->set("create_time", item.extraData->get("create_time"));
        job.createTime = item.extraData->get("create_time").convert<double>();
    }
    if (const Var workflowId = workflowIdOf(item.extraData); !workflowId.isEmpty())
        job.summary->set("workflow_id", workflowId);
    return job;
}

JobList::Job JobList::fromHistory(const std::string& id, const Object::Ptr& entry)
{
    Job job;
    job.historyEntry = entry;
    Array::Ptr prompt = entry->getArray("prompt");
    Object::Ptr extraData = prompt ? prompt->getObject(3) : nullptr;
    Object::Ptr status = entry->getObject("status");
    Array::Ptr messages = status ? status->getArray("messages") : nullptr;

    Var startTime, endTime, error;
    bool interrupted = false;
    for (std::size_t i = 0; messages && i < messages->size(); ++i) {
        Array::Ptr message = messages->getArray(i);
        const std::string type = message->getElement<std::string>(0);
        Object::Ptr data = message->getObject(1);
        if (type == "execution_start") startTime = data->get("timestamp");
        if (type == "execution_success" || type == "execution_error" || type == "execution_interrupted")
            endTime = data->get("timestamp");
        if (type == "execution_error") error = data;
        if (type == "execution_interrupted") interrupted = true;
    }
    if (status && status->optValue<std::string>("status_str", "") == "success") job.status = "completed";
    else job.status = interrupted ? "cancelled" : "failed";

    Object::Ptr outputs = entry->getObject("outputs");
    long long count = 0;
    Object::Ptr preview;
    for (const auto& nodeId : outputs ? outputs->getNames() : std::vector<std::string>{}) {
        Object::Ptr ui = outputs->getObject(nodeId);
        for (const auto& mediaType : ui->getNames()) {
            Array::Ptr items = ui->getArray(mediaType);
            if (!items) continue;
            for (std::size_t i = 0; i < items->size(); ++i) {
                ++count;
                Object::Ptr file = items->getObject(i);
                if (preview || !file || mediaType == "animated" || mediaType == "text") continue;
                preview = ordered();
                for (const auto& key : file->getNames()) preview->set(key, file->get(key));
                preview->set("nodeId", nodeId);
                preview->set("mediaType", mediaType);
            }
        }
    }

    job.summary = ordered();
    job.summary->set("id", id);
    job.summary->set("status", job.status);
    if (prompt) job.summary->set("priority", prompt->get(0));
    if (extraData && extraData->has("create_time")) {
        job.summary->set("create_time", extraData->get("create_time"));
        job.createTime = extraData->get("create_time").convert<double>();
    }
    if (!startTime.isEmpty()) job.summary->set("execution_start_time", startTime);
    if (!endTime.isEmpty()) job.summary->set("execution_end_time", endTime);
    if (!startTime.isEmpty() && !endTime.isEmpty())
        job.duration = endTime.convert<double>() - startTime.convert<double>();
    if (!error.isEmpty()) job.summary->set("execution_error", error);
    job.summary->set("outputs_count", count);
    if (preview) job.summary->set("preview_output", preview);
    if (const Var workflowId = workflowIdOf(extraData); !workflowId.isEmpty())
        job.summary->set("workflow_id", workflowId);
    return job;
}

std::vector<JobList::Job> JobList::jobs() const
{
    std::vector<Job> out;
    for (const auto& item : _snapshot.running) out.push_back(fromItem(item, "in_progress"));
    for (const auto& item : _snapshot.pending) out.push_back(fromItem(item, "pending"));
    for (const auto& [id, entry] : _snapshot.history) out.push_back(fromHistory(id, entry));
    return out;
}

Object::Ptr JobList::list(const std::map<std::string, std::string>& query, std::string& error) const
{
    static const std::vector<std::string> statuses = {"pending", "in_progress", "completed", "failed", "cancelled"};
    std::vector<std::string> wanted;
    if (auto it = query.find("status"); it != query.end() && !it->second.empty()) {
        std::size_t start = 0;
        while (start <= it->second.size()) {
            const auto comma = it->second.find(',', start);
            const std::string status = Poco::trim(it->second.substr(start, comma - start));
            if (!status.empty()) {
                if (std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
                    error = "Invalid status value: " + status +
                            ". Must be one of: pending, in_progress, completed, failed, cancelled";
                    return nullptr;
                }
                wanted.push_back(status);
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    std::optional<long long> limit;
    long long offset = 0;
    if (auto it = query.find("limit"); it != query.end()) {
        long long value = 0;
        if (!parseInt(it->second, value) || value <= 0) {
            error = "limit must be a positive integer";
            return nullptr;
        }
        limit = value;
    }
    if (auto it = query.find("offset"); it != query.end()) {
        if (!parseInt(it->second, offset)) {
            error = "offset must be an integer";
            return nullptr;
        }
        offset = std::max(0LL, offset);
    }
    const std::string sortBy = query.count("sort_by") ? query.at("sort_by") : "created_at";
    const bool ascending = query.count("sort_order") && Poco::toLower(query.at("sort_order")) == "asc";
    const std::string workflowId = query.count("workflow_id") ? query.at("workflow_id") : "";

    std::vector<Job> selected;
    for (auto& job : jobs()) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), job.status) == wanted.end()) continue;
        if (!workflowId.empty() && job.summary->optValue<std::string>("workflow_id", "") != workflowId) continue;
        selected.push_back(std::move(job));
    }
    std::stable_sort(selected.begin(), selected.end(), [&](const Job& a, const Job& b) {
        const double x = sortBy == "execution_duration" ? a.duration : a.createTime;
        const double y = sortBy == "execution_duration" ? b.duration : b.createTime;
        return ascending ? x < y : x > y;
    });

    const long long total = static_cast<long long>(selected.size());
    Array::Ptr page = new Array;
    for (long long i = offset; i < total && (!limit || i < offset + *limit); ++i) page->add(selected[i].summary);
    Object::Ptr pagination = ordered();
    pagination->set("offset", offset);
    pagination->set("limit", limit ? Var(*limit) : Var());
    pagination->set("total", total);
    pagination->set("has_more", offset + static_cast<long long>(page->size()) < total);
    Object::Ptr out = ordered();
    out->set("jobs", page);
    out->set("pagination", pagination);
    return out;
}

Object::Ptr JobList::detail(const std::string& id) const
{
    for (const auto& job : jobs()) {
        if (job.summary->getValue<std::string>("id") != id) continue;
        Object::Ptr out = ordered();
        for (const auto& key : job.summary->getNames()) out->set(key, job.summary->get(key));
        Object::Ptr workflow = ordered();
        if (job.historyEntry) {
            out->set("outputs", job.historyEntry->get("outputs"));
            out->set("execution_status", job.historyEntry->get("status"));
            Array::Ptr prompt = job.historyEntry->getArray("prompt");
            workflow->set("prompt", prompt->get(2));
            workflow->set("extra_data", prompt->get(3));
        } else {
            workflow->set("prompt", job.item->prompt);
            workflow->set("extra_data", job.item->extraData);
        }
        out->set("workflow", workflow);
        return out;
    }
    return nullptr;
}

} // namespace comfygate::fakes
