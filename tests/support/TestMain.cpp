#include "SanitizerReportListener.h"

#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

// Every suite executable links this main: it runs the suites registered in the executable
// (or only those named on the command line) and prints one line per test.
int main(int argc, char** argv)
{
    CppUnit::TestResult controller;
    CppUnit::TestResultCollector result;
    controller.addListener(&result);
    CppUnit::BriefTestProgressListener progress;
    controller.addListener(&progress);
    comfygate::test::SanitizerReportListener sanitizerReports(controller);
    controller.addListener(&sanitizerReports);

    bool passed = false;
    {
        // The runner owns the fixtures (and the failures point into it): servers the fixtures
        // still hold stop when it goes, after the results are written.
        CppUnit::TestRunner runner;
        runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
        if (argc > 1) {
            for (int i = 1; i < argc; ++i)
                runner.run(controller, argv[i]);
        } else {
            runner.run(controller);
        }
        CppUnit::CompilerOutputter outputter(&result, std::cerr);
        outputter.write();
        const int failed = result.testFailuresTotal();
        std::cout << (result.runTests() - failed) << " passed, " << failed << " failed" << std::endl;
        passed = result.wasSuccessful();
    }
    // What a server stopped with its fixture reported, after the last test.
    const auto lateReports = comfygate::test::SanitizerReports::takeCollected();
    for (const auto& report : lateReports)
        std::cerr << report << std::endl;
    if (!lateReports.empty())
        std::cout << lateReports.size() << " sanitizer report(s) after the last test" << std::endl;
    return passed && lateReports.empty() ? 0 : 1;
}
