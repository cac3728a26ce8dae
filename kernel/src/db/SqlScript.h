#pragma once

#include <string>
#include <vector>

namespace comfygate {

/// A migration script cut into single statements, because prepared statements (SQLite's
/// and PostgreSQL's) take one statement at a time.
///
/// Statements are separated by `;` outside string literals ('...'), quoted identifiers
/// ("...") and comments (`-- ...` to the end of the line, `/* ... */`). Comments are dropped
/// and empty statements skipped. Bodies that contain `;` themselves (SQLite triggers,
/// PostgreSQL `$$` functions) are not supported.
class SqlScript
{
public:
    /// Throws std::invalid_argument for an unterminated literal or comment.
    explicit SqlScript(const std::string& text);

    /// The statements, trimmed, without the separating `;`, in script order.
    const std::vector<std::string>& statements() const { return _statements; }

private:
    std::vector<std::string> _statements;
};

} // namespace comfygate
