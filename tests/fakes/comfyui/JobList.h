#pragma once

#include "ExecutionQueue.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <string>

namespace comfygate::fakes {

/// GET /api/jobs and /api/jobs/{id} (comfy_execution/jobs.py): queue and history items seen
/// as jobs with a status, times, output counts and a preview, filtered, sorted and paged.
class JobList
{
public:
    explicit JobList(ExecutionQueue::Snapshot snapshot);

    /// `{"jobs":[...],"pagination":{...}}`, or null with `error` set (→ 400 `{"error":...}`).
    Poco::JSON::Object::Ptr list(const std::map<std::string, std::string>& query, std::string& error) const;
    /// The job dict with `outputs`, `execution_status` and `workflow`, or null when unknown.
    Poco::JSON::Object::Ptr detail(const std::string& id) const;

private:
    struct Job
    {
        Poco::JSON::Object::Ptr summary;
        Poco::JSON::Object::Ptr historyEntry; ///< null for queued / running jobs
        const ExecutionQueue::Item* item = nullptr;
        std::string status;
        double createTime = 0;
        double duration = 0;
    };
    std::vector<Job> jobs() const;
    static Job fromItem(const ExecutionQueue::Item& item, const std::string& status);
    static Job fromHistory(const std::string& id, const Poco::JSON::Object::Ptr& entry);

    ExecutionQueue::Snapshot _snapshot;
};

} // namespace comfygate::fakes
