#pragma once

#include <string>
#include <vector>

namespace comfygate::bench {

/// Issue 18's goals are met or missed one row at a time, each a ratio against a reference
/// measured in the same run. A benchmark prints its own rows as a table and, when
/// COMFYGATE_BENCH_GOALS names a file (`scripts/dev bench` sets it), appends them there, so
/// the run ends with one table of every goal (bench-goal-table prints it).
struct GoalRow
{
    std::string figure, reference, measured, referenceValue, ratio, goal;
    bool met = false;
};

class GoalTable
{
public:
    void add(GoalRow row) { _rows.push_back(std::move(row)); }
    const std::vector<GoalRow>& rows() const { return _rows; }

    /// Prints the rows as a Markdown table on stdout, then appends them to COMFYGATE_BENCH_GOALS.
    void publish() const;
    void print() const;

    /// The rows a previous publish() appended to `path` (tab-separated, one row per line).
    static GoalTable read(const std::string& path);

    /// "12,345" (thousands separated) and printf-formatted numbers for the cells.
    static std::string count(long long n);
    static std::string format(const char* printfFormat, double value);
    /// A throughput row: measured / reference ≥ goal, met only without errors.
    static GoalRow ratioRow(const std::string& figure, const std::string& reference, double measured,
                            double referenceValue, const std::string& unit, double goal, bool clean = true);

private:
    void appendTo(const std::string& path) const;

    std::vector<GoalRow> _rows;
};

} // namespace comfygate::bench
