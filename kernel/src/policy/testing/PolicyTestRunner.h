#pragma once

#include "PolicyEffectsSettings.h"
#include "PolicyLimits.h"

#include "comfygate/Policy.h"

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace comfygate {

/// `comfygate policy test [DIR]`: compiles the scripts of DIR as the engine does, then runs
/// every `DIR/tests/*_test.lua` (sorted by name) in a fresh state of its own with simulated
/// effects (see LuaSandbox::runTest, PolicyTestLibrary). Prints one line per file ("ok   x_test.lua
/// (5 calls)" or "FAIL x_test.lua:12: assertion failed!") and a summary. A test file's
/// comment lines `-- @setting name = value` set policy.settings.<name> for the scripts of
/// that file's run (over the configured settings), so a test can switch on what it tests.
class PolicyTestRunner
{
public:
    /// Exit statuses of run().
    static constexpr int passed = 0;
    static constexpr int failed = 1;
    static constexpr int scriptsBroken = 2;

    /// A test file may run this many times the per-call limits of one policy call (a file
    /// makes many calls); memory stays capped per state.
    static constexpr int budgetFactor = 50;

    /// `hooks` are the declared hooks (with the kernel's and modules' specs); `limits`,
    /// `settings` and the effects' `caps` as the server has them.
    PolicyTestRunner(std::vector<HookSpec> hooks, PolicyLimits limits, std::map<std::string, std::string> settings,
                     PolicyEffectsSettings caps);

    int run(const std::string& scriptsDir, std::ostream& out) const;

private:
    std::vector<HookSpec> _hooks;
    PolicyLimits _limits;
    std::map<std::string, std::string> _settings;
    PolicyEffectsSettings _caps;
};

} // namespace comfygate
