#include "GoalTable.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace comfygate::bench {
namespace {

/// Display width of a UTF-8 string (≥, ≤ and µ count as one column).
std::size_t width(const std::string& text)
{
    std::size_t n = 0;
    for (const unsigned char c : text)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::vector<std::string> cells(const GoalRow& r)
{
    return {r.figure, r.reference, r.measured, r.referenceValue, r.ratio, r.goal, r.met ? "yes" : "NO"};
}

/// Tabs and newlines would break the one-row-per-line file.
std::string flat(std::string text)
{
    std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n'; }, ' ');
    return text;
}

} // namespace

std::string GoalTable::count(long long n)
{
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return (n < 0 ? "-" : "") + out;
}

std::string GoalTable::format(const char* printfFormat, double value)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, printfFormat, value);
    return buffer;
}

GoalRow GoalTable::ratioRow(const std::string& figure, const std::string& reference, double measured,
                            double referenceValue, const std::string& unit, double goal, bool clean)
{
    const double ratio = referenceValue > 0 ? measured / referenceValue : 0;
    const auto value = [&unit](double v) {
        return (v >= 100 ? count(static_cast<long long>(v)) : format("%.1f", v)) + " " + unit;
    };
    return {figure, reference, value(measured), value(referenceValue), format("%.2f", ratio), format("≥ %.2g", goal),
            ratio >= goal && clean};
}

void GoalTable::print() const
{
    const std::vector<std::string> head{"figure", "reference", "measured", "reference value", "ratio", "goal", "met?"};
    std::vector<std::size_t> widths;
    for (const auto& h : head)
        widths.push_back(width(h));
    for (const auto& r : _rows) {
        const auto c = cells(r);
        for (std::size_t i = 0; i < c.size(); ++i)
            widths[i] = std::max(widths[i], width(c[i]));
    }
    auto line = [&](const std::vector<std::string>& c) {
        std::string out = "|";
        for (std::size_t i = 0; i < c.size(); ++i)
            out += " " + c[i] + std::string(widths[i] - width(c[i]), ' ') + " |";
        std::puts(out.c_str());
    };
    line(head);
    std::string rule = "|";
    for (const auto w : widths)
        rule += std::string(w + 2, '-') + "|";
    std::puts(rule.c_str());
    for (const auto& r : _rows)
        line(cells(r));
    std::fflush(stdout);
}

void GoalTable::publish() const
{
    print();
    if (const char* path = std::getenv("COMFYGATE_BENCH_GOALS"); path && *path)
        appendTo(path);
}

void GoalTable::appendTo(const std::string& path) const
{
    std::ofstream out(path, std::ios::app);
    for (const auto& r : _rows) {
        const auto c = cells(r);
        for (std::size_t i = 0; i < c.size(); ++i)
            out << (i ? "\t" : "") << flat(c[i]);
        out << "\n";
    }
    if (!out)
        throw std::runtime_error("cannot append the goal rows to " + path);
}

GoalTable GoalTable::read(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    GoalTable table;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> c;
        std::stringstream fields(line);
        for (std::string field; std::getline(fields, field, '\t');)
            c.push_back(field);
        if (c.size() != 7)
            continue;
        table.add({c[0], c[1], c[2], c[3], c[4], c[5], c[6] == "yes"});
    }
    return table;
}

} // namespace comfygate::bench
