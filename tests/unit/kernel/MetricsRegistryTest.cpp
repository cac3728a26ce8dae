#include "MetricsRegistry.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <stdexcept>

using comfygate::MetricsRegistry;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::size_t occurrences(const std::string& text, const std::string& part)
{
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
        ++count;
    return count;
}

/// The value of the sample line that starts with `series` + " " ("" when absent).
std::string sample(const std::string& text, const std::string& series)
{
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, series.size() + 1, series + " ") == 0)
            return line.substr(series.size() + 1);
    }
    return {};
}

/// The series name of the request counter for one route, method and status.
std::string requests(const std::string& route, const std::string& method, int status)
{
    return "comfygate_http_requests_total{route=\"" + route + "\",method=\"" + method +
           "\",status=\"" + std::to_string(status) + "\"}";
}

} // namespace

class MetricsRegistryTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(MetricsRegistryTest);
    CPPUNIT_TEST(testEmptyRender);
    CPPUNIT_TEST(testRequestCounters);
    CPPUNIT_TEST(testHistogramCumulative);
    CPPUNIT_TEST(testHistogramBoundaryInclusive);
    CPPUNIT_TEST(testWebSocketGauge);
    CPPUNIT_TEST(testModuleGauge);
    CPPUNIT_TEST(testModuleCounter);
    CPPUNIT_TEST(testLargeValuesKeepPrecision);
    CPPUNIT_TEST(testBadNames);
    CPPUNIT_TEST(testDuplicateNames);
    CPPUNIT_TEST(testBuiltInNamesReserved);
    CPPUNIT_TEST(testThrowingGaugeSkipped);
    CPPUNIT_TEST(testLabelEscaping);
    CPPUNIT_TEST(testHelpEscaping);
    CPPUNIT_TEST_SUITE_END();

public:
    void testEmptyRender()
    {
        MetricsRegistry metrics;
        const std::string text = metrics.render();
        CPPUNIT_ASSERT(contains(text, "# HELP comfygate_http_requests_total "));
        CPPUNIT_ASSERT(contains(text, "# TYPE comfygate_http_requests_total counter\n"));
        CPPUNIT_ASSERT(
            contains(text, "# TYPE comfygate_http_request_duration_seconds histogram\n"));
        CPPUNIT_ASSERT(contains(text, "# TYPE comfygate_websockets_open gauge\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), sample(text, "comfygate_websockets_open"));
        CPPUNIT_ASSERT(!contains(text, "comfygate_http_requests_total{"));
        CPPUNIT_ASSERT(text.back() == '\n');
    }

    void testRequestCounters()
    {
        MetricsRegistry metrics;
        metrics.observeRequest("/jobs/{id}", "GET", 200, 0.001);
        metrics.observeRequest("/jobs/{id}", "GET", 200, 0.002);
        metrics.observeRequest("/jobs/{id}", "GET", 404, 0.001);
        metrics.observeRequest("/jobs/{id}", "DELETE", 200, 0.001);
        metrics.observeRequest("/prompt", "POST", 200, 0.001);
        const std::string text = metrics.render();
        CPPUNIT_ASSERT_EQUAL(std::string("2"), sample(text, requests("/jobs/{id}", "GET", 200)));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), sample(text, requests("/jobs/{id}", "GET", 404)));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), sample(text, requests("/jobs/{id}", "DELETE", 200)));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), sample(text, requests("/prompt", "POST", 200)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), occurrences(text, "comfygate_http_requests_total{"));
        // The histogram is per route, not per method or status.
        CPPUNIT_ASSERT_EQUAL(
            std::string("4"),
            sample(text, "comfygate_http_request_duration_seconds_count{route=\"/jobs/{id}\"}"));
    }

    void testHistogramCumulative()
    {
        MetricsRegistry metrics;
        metrics.observeRequest("/r", "GET", 200, 0.0002); // every bucket
        metrics.observeRequest("/r", "GET", 200, 0.003);  // from le=0.005
        metrics.observeRequest("/r", "GET", 200, 0.3);    // from le=0.5
        metrics.observeRequest("/r", "GET", 200, 9.0);    // only +Inf
        const std::string text = metrics.render();
        const auto bucket = [&](const std::string& le) {
            return sample(text,
                          "comfygate_http_request_duration_seconds_bucket{route=\"/r\",le=\"" + le +
                              "\"}");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket("0.0005"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), bucket("0.0025"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), bucket("0.005"));
        CPPUNIT_ASSERT_EQUAL(std::string("2"), bucket("0.25"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), bucket("0.5"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), bucket("5"));
        CPPUNIT_ASSERT_EQUAL(std::string("4"), bucket("+Inf"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("4"),
            sample(text, "comfygate_http_request_duration_seconds_count{route=\"/r\"}"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(
            9.3032,
            std::stod(sample(text, "comfygate_http_request_duration_seconds_sum{route=\"/r\"}")),
            1e-9);
        CPPUNIT_ASSERT_EQUAL(
            MetricsRegistry::latencyBuckets.size() + 1,
            occurrences(text, "comfygate_http_request_duration_seconds_bucket{route=\"/r\""));
        // Buckets never decrease from one line to the next.
        long long previous = 0;
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("comfygate_http_request_duration_seconds_bucket", 0) != 0)
                continue;
            const long long value = std::stoll(line.substr(line.rfind(' ') + 1));
            CPPUNIT_ASSERT_MESSAGE(line, value >= previous);
            previous = value;
        }
    }

    void testHistogramBoundaryInclusive()
    {
        MetricsRegistry metrics;
        metrics.observeRequest("/r", "GET", 200, 0.1);
        const std::string text = metrics.render();
        CPPUNIT_ASSERT_EQUAL(
            std::string("1"),
            sample(text,
                   "comfygate_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.1\"}"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("0"),
            sample(text,
                   "comfygate_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.05\"}"));
    }

    void testWebSocketGauge()
    {
        MetricsRegistry metrics;
        metrics.webSocketOpened();
        metrics.webSocketOpened();
        metrics.webSocketOpened();
        metrics.webSocketClosed();
        CPPUNIT_ASSERT_EQUAL(2LL, metrics.openWebSockets());
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             sample(metrics.render(), "comfygate_websockets_open"));
    }

    void testModuleGauge()
    {
        MetricsRegistry metrics;
        double depth = 3;
        metrics.gauge("download_queue_depth", "Jobs waiting.", [&] { return depth; });
        std::string text = metrics.render();
        CPPUNIT_ASSERT(contains(text, "# HELP comfygate_download_queue_depth Jobs waiting.\n"));
        CPPUNIT_ASSERT(contains(text, "# TYPE comfygate_download_queue_depth gauge\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), sample(text, "comfygate_download_queue_depth"));
        depth = 7.5;
        CPPUNIT_ASSERT_EQUAL(std::string("7.5"),
                             sample(metrics.render(), "comfygate_download_queue_depth"));
    }

    void testModuleCounter()
    {
        MetricsRegistry metrics;
        auto add = metrics.counter("logins_total", "Successful logins.");
        std::string text = metrics.render();
        CPPUNIT_ASSERT(contains(text, "# TYPE comfygate_logins_total counter\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), sample(text, "comfygate_logins_total"));
        add(1);
        add(2.5);
        CPPUNIT_ASSERT_EQUAL(std::string("3.5"),
                             sample(metrics.render(), "comfygate_logins_total"));
    }

    void testLargeValuesKeepPrecision()
    {
        // A counter past a million must not be rendered as 1.23457e+06.
        MetricsRegistry metrics;
        auto add = metrics.counter("bytes_total", "Bytes.");
        add(1234567);
        metrics.gauge("free_bytes", "Free.", [] { return 9876543210.0; });
        const std::string text = metrics.render();
        CPPUNIT_ASSERT_EQUAL(1234567.0, std::stod(sample(text, "comfygate_bytes_total")));
        CPPUNIT_ASSERT_EQUAL(9876543210.0, std::stod(sample(text, "comfygate_free_bytes")));
    }

    void testBadNames()
    {
        MetricsRegistry metrics;
        for (const std::string name :
             {"", "Upper", "9lives", "with-dash", "with space", "dot.ted", "é"}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(name, metrics.gauge(name, "h", [] { return 1.0; }),
                                         std::invalid_argument);
            CPPUNIT_ASSERT_THROW_MESSAGE(name, metrics.counter(name, "h"), std::invalid_argument);
        }
        MetricsRegistry::checkName("_private");
        MetricsRegistry::checkName("a1_b2");
        CPPUNIT_ASSERT(!contains(metrics.render(), "# TYPE comfygate_Upper"));
    }

    void testDuplicateNames()
    {
        MetricsRegistry metrics;
        metrics.gauge("jobs", "first", [] { return 1.0; });
        CPPUNIT_ASSERT_THROW(metrics.gauge("jobs", "second", [] { return 2.0; }), std::logic_error);
        CPPUNIT_ASSERT_THROW(metrics.counter("jobs", "second"), std::logic_error);
        metrics.counter("done", "first");
        CPPUNIT_ASSERT_THROW(metrics.counter("done", "second"), std::logic_error);
        CPPUNIT_ASSERT_THROW(metrics.gauge("done", "second", [] { return 2.0; }), std::logic_error);
        const std::string text = metrics.render();
        CPPUNIT_ASSERT_EQUAL(std::string("1"), sample(text, "comfygate_jobs"));
        CPPUNIT_ASSERT(contains(text, "# HELP comfygate_jobs first\n"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), occurrences(text, "# TYPE comfygate_jobs "));
    }

    void testBuiltInNamesReserved()
    {
        // A module metric must not produce a second family with the kernel's names.
        MetricsRegistry metrics;
        CPPUNIT_ASSERT_THROW(metrics.gauge("websockets_open", "h", [] { return 1.0; }),
                             std::logic_error);
        CPPUNIT_ASSERT_THROW(metrics.counter("http_requests_total", "h"), std::logic_error);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             occurrences(metrics.render(), "# TYPE comfygate_websockets_open "));
    }

    void testThrowingGaugeSkipped()
    {
        MetricsRegistry metrics;
        metrics.gauge("broken", "Throws.", []() -> double { throw std::runtime_error("no"); });
        metrics.gauge("fine", "Works.", [] { return 4.0; });
        std::string text;
        CPPUNIT_ASSERT_NO_THROW(text = metrics.render());
        CPPUNIT_ASSERT(!contains(text, "comfygate_broken"));
        CPPUNIT_ASSERT_EQUAL(std::string("4"), sample(text, "comfygate_fine"));
    }

    void testLabelEscaping()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("a\\\\b\\\"c\\nd"),
                             MetricsRegistry::escapeLabel("a\\b\"c\nd"));
        CPPUNIT_ASSERT_EQUAL(std::string("/plain/{id}"),
                             MetricsRegistry::escapeLabel("/plain/{id}"));
        MetricsRegistry metrics;
        metrics.observeRequest("/q\"x", "GET", 200, 0.001);
        const std::string text = metrics.render();
        CPPUNIT_ASSERT(contains(text, "{route=\"/q\\\"x\",method=\"GET\",status=\"200\"} 1\n"));
    }

    void testHelpEscaping()
    {
        // The exposition format requires \\ and \n escaped in HELP text; a raw newline would
        // start a line that is not a valid sample.
        MetricsRegistry metrics;
        metrics.gauge("two_lines", "first line\nsecond \\ line", [] { return 1.0; });
        const std::string text = metrics.render();
        CPPUNIT_ASSERT_MESSAGE(
            text, contains(text, "# HELP comfygate_two_lines first line\\nsecond \\\\ line\n"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsRegistryTest);
