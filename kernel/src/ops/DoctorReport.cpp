#include "DoctorReport.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>

namespace comfygate {

void DoctorReport::ok(const std::string& name, const std::string& message)
{
    _checks.push_back({name, Status::Ok, message, {}});
}

void DoctorReport::warn(const std::string& name, const std::string& message, const std::string& hint)
{
    _checks.push_back({name, Status::Warn, message, hint});
}

void DoctorReport::fail(const std::string& name, const std::string& message, const std::string& hint)
{
    _checks.push_back({name, Status::Fail, message, hint});
}

void DoctorReport::skip(const std::string& name, const std::string& message, const std::string& hint)
{
    _checks.push_back({name, Status::Skip, message, hint});
}

bool DoctorReport::passed() const
{
    for (const auto& check : _checks) {
        if (check.status == Status::Fail)
            return false;
    }
    return true;
}

std::string DoctorReport::statusName(Status status)
{
    switch (status) {
    case Status::Ok: return "ok";
    case Status::Warn: return "warn";
    case Status::Fail: return "fail";
    case Status::Skip: return "skip";
    }
    return "?";
}

void DoctorReport::printText(std::ostream& out) const
{
    std::map<Status, int> counts;
    for (const auto& check : _checks) {
        ++counts[check.status];
        const std::string status = statusName(check.status);
        out << status << std::string(6 - status.size(), ' ') << check.name << ": " << check.message;
        if (!check.hint.empty())
            out << " -> " << check.hint;
        out << "\n";
    }
    out << "\n"
        << counts[Status::Ok] << " ok, " << counts[Status::Warn] << " warnings, " << counts[Status::Fail]
        << " failed, " << counts[Status::Skip] << " skipped: "
        << (passed() ? "nothing stops comfygate from serving" : "fix the failed checks before serving") << "\n";
}

void DoctorReport::printJson(std::ostream& out) const
{
    Poco::JSON::Array::Ptr checks = new Poco::JSON::Array;
    for (const auto& check : _checks) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("name", check.name);
        item->set("status", statusName(check.status));
        item->set("message", check.message);
        item->set("hint", check.hint);
        checks->add(item);
    }
    Poco::JSON::Object document;
    document.set("checks", checks);
    document.set("ok", passed());
    document.stringify(out);
    out << "\n";
}

} // namespace comfygate
