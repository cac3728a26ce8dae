#include "PolicyTestRunner.h"

#include "PolicyEngine.h"
#include "PolicyGeneration.h"
#include "PolicySimulation.h"
#include "PolicyTestLibrary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>

namespace comfygate {

namespace {

namespace fs = std::filesystem;

const std::string testSuffix = "_test.lua";

std::vector<fs::path> testFiles(const std::string& scriptsDir)
{
    std::vector<fs::path> files;
    std::error_code error;
    for (fs::directory_iterator it(fs::path(scriptsDir) / "tests", error), end; !error && it != end;
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.size() > testSuffix.size() && name.front() != '.' &&
            name.compare(name.size() - testSuffix.size(), testSuffix.size(), testSuffix) == 0)
            files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path.string());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The `-- @setting name = value` comment lines of a test file, over the configured settings.
std::map<std::string, std::string> settingsFor(const std::string& source, std::map<std::string, std::string> settings)
{
    static const std::regex line(R"(^[ \t]*--[ \t]*@setting[ \t]+([A-Za-z0-9_.-]+)[ \t]*=[ \t]*(.*?)[ \t\r]*$)");
    std::istringstream lines(source);
    std::string text;
    std::smatch match;
    while (std::getline(lines, text)) {
        if (std::regex_match(text, match, line))
            settings[match[1]] = match[2];
    }
    return settings;
}

std::string plural(std::size_t count, const std::string& word)
{
    return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

} // namespace

PolicyTestRunner::PolicyTestRunner(std::vector<HookSpec> hooks, PolicyLimits limits,
                                   std::map<std::string, std::string> settings, PolicyEffectsSettings caps)
    : _hooks(std::move(hooks)), _limits(limits), _settings(std::move(settings)), _caps(std::move(caps))
{
}

int PolicyTestRunner::run(const std::string& scriptsDir, std::ostream& out) const
{
    PolicyEngine engine(scriptsDir, _limits, _settings);
    std::set<std::string> hookNames;
    for (const auto& spec : _hooks) {
        engine.declareHook(spec);
        hookNames.insert(spec.name);
    }
    const auto report = engine.check();
    if (!report.ok()) {
        for (const auto& error : report.errors)
            out << error << "\n";
        out << "the policy scripts in " << scriptsDir << " do not compile; no test ran\n";
        return scriptsBroken;
    }
    const PolicyGeneration generation(0, scriptsDir, hookNames);

    PolicyLimits testLimits = _limits;
    testLimits.instructionsPerCall *= budgetFactor;
    testLimits.deadlinePerCall *= budgetFactor;

    std::size_t failures = 0;
    const auto files = testFiles(scriptsDir);
    for (const auto& path : files) {
        const std::string name = path.filename().string();
        std::string error;
        std::size_t calls = 0;
        try {
            const std::string source = readText(path);
            PolicySimulation simulation(generation, testLimits, settingsFor(source, _settings),
                                        std::make_shared<SimulatedPolicyEffects>(_caps));
            error = simulation.loadError();
            if (error.empty()) {
                PolicyTestLibrary library(simulation.effects());
                error = simulation.sandbox().runTest(name, source, [&library](lua_State* L) { library.push(L); });
                calls = simulation.sandbox().testCalls();
            }
        } catch (const std::exception& e) {
            error = name + ": " + e.what();
        }
        if (error.empty()) {
            out << "ok   " << name << " (" << plural(calls, "call") << ")\n";
        } else {
            ++failures;
            out << "FAIL " << error << "\n";
        }
    }
    if (files.empty())
        out << "no test files (" << scriptsDir << "/tests/*" << testSuffix << ")\n";
    else if (failures == 0)
        out << "all " << plural(files.size(), "test file") << " passed\n";
    else
        out << failures << " of " << plural(files.size(), "test file") << " failed\n";
    return failures == 0 ? passed : failed;
}

} // namespace comfygate
