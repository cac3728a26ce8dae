#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace comfygate {

/// The findings of `comfygate doctor`: one line per check, printed as text or as one JSON
/// document ({checks: [{name, status, message, hint}], ok}).
class DoctorReport
{
public:
    enum class Status { Ok, Warn, Fail, Skip };

    struct Check
    {
        std::string name;
        Status status;
        std::string message;
        std::string hint; ///< what to do next; empty for ok
    };

    void ok(const std::string& name, const std::string& message);
    void warn(const std::string& name, const std::string& message, const std::string& hint);
    void fail(const std::string& name, const std::string& message, const std::string& hint);
    void skip(const std::string& name, const std::string& message, const std::string& hint = {});

    /// True when no check failed (warnings allowed).
    bool passed() const;
    const std::vector<Check>& checks() const { return _checks; }

    /// `ok    name: message`, `warn  name: message -> hint`, then a summary line.
    void printText(std::ostream& out) const;
    void printJson(std::ostream& out) const;

    static std::string statusName(Status status);

private:
    std::vector<Check> _checks;
};

} // namespace comfygate
