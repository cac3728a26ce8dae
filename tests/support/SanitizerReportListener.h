#pragma once

#include "SanitizerReports.h"

#include <cppunit/Exception.h>
#include <cppunit/TestListener.h>
#include <cppunit/TestResult.h>

namespace comfygate::test {

/// Fails the test that was running when a child comfygate's sanitizer report was collected
/// (SanitizerReports): a leak or a data race in the server fails its test like an assertion.
class SanitizerReportListener : public CppUnit::TestListener
{
public:
    explicit SanitizerReportListener(CppUnit::TestResult& result) : _result(result) {}

    void endTest(CppUnit::Test* test) override
    {
        for (const auto& report : SanitizerReports::takeCollected())
            _result.addFailure(test, new CppUnit::Exception(CppUnit::Message("sanitizer report", report)));
    }

private:
    CppUnit::TestResult& _result;
};

} // namespace comfygate::test
