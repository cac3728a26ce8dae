// Issue 18's request-handling goals in one table: comfygate against references measured in the
// same run on the same machine.
//   references: bench_reference_poco (a bare Poco HTTPServer with comfygate's server settings,
//   answering /mss-login/api/me with the same JSON and /extensions as the upstream),
//   reference/aiohttp_me.py (aiohttp + sqlite3, one SHA-256 token lookup joined with the user
//   row per request) and nginx (1 worker, proxy_pass with upstream keepalive to the bare Poco
//   server).
//   comfygate: modules auth,comfy-proxy, access log off, comfy.url = the bare Poco server; the
//   caller is an ordinary `user`-role account (owners skip the permission policy), with an API
//   token (the shipped groups.json with can_have_api_tokens granted to `user`) and a session JWT.
// Every reference gets the same request bytes as comfygate (the credential header too).
// Load: LoadGenerator::runEvented, 32 keep-alive connections on 2 epoll threads (like wrk -t2
// -c32); 1 connection for the latency rows; 1,000 connections for the concurrency rows.
// `bench_hotpath --quick` (or COMFYGATE_BENCH_QUICK=1) shortens every phase for development;
// `-v` also prints each phase's raw numbers.
#include "HttpTestClient.h"
#include "GoalTable.h"
#include "LoadGenerator.h"
#include "NginxProxy.h"
#include "ReferenceProcess.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <Poco/String.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using comfygate::bench::LoadGenerator;
using Headers = std::map<std::string, std::string>;
using Result = LoadGenerator::Result;
using std::chrono::milliseconds;

namespace {

bool verbose = false;

/// The shipped groups.json with `can_have_api_tokens` granted to the `user` role, so an ordinary
/// user (who goes through the permission policy) can hold the API token of the token rows.
std::string groupsGrantingUserTokens()
{
    std::ifstream in(COMFYGATE_SOURCE_DIR "/etc/groups.json");
    std::stringstream text;
    text << in.rdbuf();
    std::string groups = text.str();
    const auto user = groups.find("\"user\": {");
    const std::string denied = "\"can_have_api_tokens\": false";
    const auto grant = user == std::string::npos ? user : groups.find(denied, user);
    if (grant == std::string::npos)
        throw std::runtime_error("etc/groups.json: no `user` group with can_have_api_tokens to grant");
    return groups.replace(grant, denied.size(), "\"can_have_api_tokens\": true");
}

Result measure(const char* name, unsigned port, const LoadGenerator::Request& request, int connections,
               milliseconds duration, int threads = 2, milliseconds timeout = milliseconds(5000))
{
    LoadGenerator(port, connections, milliseconds(std::min<long long>(500, duration.count() / 4)))
        .runEvented(request, threads, timeout); // warm-up: caches, pools, page faults
    const Result r = LoadGenerator(port, connections, duration).runEvented(request, threads, timeout);
    if (verbose)
        std::fprintf(stderr,
                     "  %-34s c=%-4d %9.0f req/s  p50 %7.1f µs  p99 %8.1f µs  non-2xx %lld  connect errors %lld  "
                     "drops %lld  timeouts %lld  never answered %lld\n",
                     name, connections, r.requestsPerSecond(), r.percentileMs(0.5) * 1000, r.percentileMs(0.99) * 1000,
                     r.failures, r.connectErrors, r.drops, r.timeouts, r.starved);
    return r;
}

using comfygate::bench::GoalRow;
using comfygate::bench::GoalTable;

std::string count(long long n) { return GoalTable::count(n); }
std::string fmt(const char* format, double value) { return GoalTable::format(format, value); }

GoalRow throughputRow(const std::string& figure, const std::string& reference, const Result& measured,
                      const Result& ref, double goal)
{
    return GoalTable::ratioRow(figure, reference, measured.requestsPerSecond(), ref.requestsPerSecond(), "req/s",
                               goal, measured.errors() == 0);
}

std::string errorBreakdown(const Result& r)
{
    return count(r.errors()) + " (connect " + count(r.connectErrors) + ", drops " + count(r.drops) + ", timeouts " +
           count(r.timeouts) + ", non-2xx " + count(r.failures) + "; " + count(r.starved) +
           " clients never answered)";
}

} // namespace

int main(int argc, char** argv)
{
    bool quick = std::getenv("COMFYGATE_BENCH_QUICK") && std::strcmp(std::getenv("COMFYGATE_BENCH_QUICK"), "0") != 0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "-v") == 0)
            verbose = true;
        else {
            std::fprintf(stderr, "usage: %s [--quick] [-v]\n", argv[0]);
            return 2;
        }
    }
    const milliseconds phase(quick ? 1000 : 3000);
    const milliseconds crowdPhase(quick ? 2000 : 4000);
    const int connections = 32;
    const int crowd = 1000;

    try {
        // The references.
        comfygate::bench::ReferenceProcess poco({COMFYGATE_BUILD_DIR "/bin/references/bench_reference_poco"});
        // The proxies' upstream: the same server with a pool large enough for every upstream
        // connection nginx and comfygate keep open (each holds a Poco thread while idle).
        comfygate::bench::ReferenceProcess upstream({COMFYGATE_BUILD_DIR "/bin/references/bench_reference_poco", "--threads", "512"});
        comfygate::test::TempDir pythonDir;
        const std::string pythonToken = "cgt_reference_token_for_the_aiohttp_lookup_0123456789";
        comfygate::bench::ReferenceProcess python({"/usr/bin/python3", COMFYGATE_SOURCE_DIR "/tests/bench/reference/aiohttp_me.py",
                                                   pythonDir.file("reference.db"), pythonToken});
        comfygate::test::NginxProxy nginx(upstream.port(), {4096, 64});

        // comfygate, its upstream the bare Poco server.
        comfygate::test::TempDir config;
        comfygate::test::ServerProcess server({{"modules.enabled", "auth,comfy-proxy"},
                                               {"comfy.url", "http://127.0.0.1:" + std::to_string(upstream.port())},
                                               {"http.access_log", "off"},
                                               {"log.level", "warning"},
                                               {"permissions.groups_file", config.write("groups.json", groupsGrantingUserTokens())}});
        const std::string password = "orbit lantern cobalt 8";
        std::string out, err;
        if (server.runCommand({"user", "add", "keeper", "--role", "owner", "--password-stdin"}, out, err,
                              "benchmark root passphrase\n") != 0 ||
            server.runCommand({"user", "add", "alice", "--role", "user", "--password-stdin"}, out, err, password + "\n") != 0 ||
            server.runCommand({"token", "create", "alice"}, out, err) != 0)
            throw std::runtime_error("cannot create the accounts: " + err);
        const std::string token = Poco::trim(out);
        server.start();
        comfygate::test::HttpTestClient client(server.port());
        const auto login = client.postJson("/login", R"({"username":"alice","password":")" + password + "\"}");
        if (login.status != 200)
            throw std::runtime_error("login failed: " + login.body);
        const std::string session = login.json()->getValue<std::string>("jwt_token");

        const Headers withToken{{"Authorization", "Bearer " + token}};
        const Headers withSession{{"Authorization", "Bearer " + session}};
        const LoadGenerator::Request me{"GET", "/mss-login/api/me", {}, {}};
        const LoadGenerator::Request meToken{"GET", "/mss-login/api/me", withToken, {}};
        const LoadGenerator::Request meSession{"GET", "/mss-login/api/me", withSession, {}};
        const LoadGenerator::Request mePython{"GET", "/mss-login/api/me", {{"Authorization", "Bearer " + pythonToken}}, {}};
        const LoadGenerator::Request extensions{"GET", "/extensions", {}, {}};
        const LoadGenerator::Request extensionsToken{"GET", "/extensions", withToken, {}};

        // Every target answers what it should before anything is timed.
        const auto check = [](unsigned port, const LoadGenerator::Request& r, const char* what) {
            const auto answer = comfygate::test::HttpTestClient(port).get(r.path, r.headers);
            if (answer.status != 200)
                throw std::runtime_error(std::string(what) + ": " + std::to_string(answer.status) + " " + answer.body);
            return answer.body;
        };
        const std::string reference = check(poco.port(), me, "bare Poco /me");
        // Only the user id (16 hex digits, random per data dir) may differ.
        if (check(server.port(), meToken, "comfygate /me (token)").size() != reference.size())
            std::fprintf(stderr, "note: comfygate's /me body is not the size of the reference's: update BarePocoServer.cpp\n");
        check(server.port(), meSession, "comfygate /me (session)");
        check(python.port(), mePython, "aiohttp /me");
        check(upstream.port(), extensions, "upstream /extensions");
        check(nginx.port(), extensions, "nginx /extensions");
        check(server.port(), extensionsToken, "comfygate /extensions");

        std::time_t now = std::time(nullptr);
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
        std::printf("bench_hotpath %s, %d-connection phases of %.0f s (1,000-connection phases %.0f s)%s\n", date,
                    connections, phase.count() / 1000.0, crowdPhase.count() / 1000.0, quick ? ", --quick" : "");
        std::fflush(stdout);

        // Throughput, 32 connections.
        // Every reference is sent the same request bytes as comfygate, credential header
        // included: parsing a 270-byte JWT header is part of what a client's request costs.
        const LoadGenerator::Request pocoMeToken{"GET", "/mss-login/api/me", withToken, {}};
        const LoadGenerator::Request pocoMeSession{"GET", "/mss-login/api/me", withSession, {}};
        const auto pocoToken = measure("bare Poco /me, token header", poco.port(), pocoMeToken, connections, phase);
        const auto pocoSession = measure("bare Poco /me, JWT header", poco.port(), pocoMeSession, connections, phase);
        const auto pythonMe = measure("aiohttp /me", python.port(), mePython, connections, phase);
        const auto gateToken = measure("comfygate /me API token", server.port(), meToken, connections, phase);
        const auto gateSession = measure("comfygate /me session JWT", server.port(), meSession, connections, phase);
        const auto nginxExt = measure("nginx -> Poco /extensions", nginx.port(), extensionsToken, connections, phase);
        const auto gateExt = measure("comfygate -> Poco /extensions", server.port(), extensionsToken, connections, phase);
        // Latency, one connection.
        const auto directOne = measure("Poco /extensions, 1 conn", upstream.port(), extensionsToken, 1, phase, 1);
        const auto nginxOne = measure("nginx /extensions, 1 conn", nginx.port(), extensionsToken, 1, phase, 1);
        const auto gateOne = measure("comfygate /extensions, 1 conn", server.port(), extensionsToken, 1, phase, 1);
        // 1,000 concurrent keep-alive clients (2 s request timeout, like wrk's).
        const auto gateCrowd = measure("comfygate /me, 1000 conns", server.port(), meToken, crowd, crowdPhase, 2, milliseconds(2000));
        const auto pythonCrowd = measure("aiohttp /me, 1000 conns", python.port(), mePython, crowd, crowdPhase, 2, milliseconds(2000));

        GoalTable table;
        const std::string bare = "bare Poco server, same JSON";
        const std::string aiohttp = "aiohttp + sqlite3 lookup";
        table.add(throughputRow("GET /mss-login/api/me, API token", bare, gateToken, pocoToken, 0.85));
        table.add(throughputRow("GET /mss-login/api/me, session JWT", bare, gateSession, pocoSession, 0.85));
        table.add(throughputRow("GET /mss-login/api/me, API token", aiohttp, gateToken, pythonMe, 4));
        table.add(throughputRow("GET /mss-login/api/me, session JWT", aiohttp, gateSession, pythonMe, 4));
        table.add(throughputRow("proxied GET /extensions, API token", "nginx 1 worker, keepalive, same upstream",
                                     gateExt, nginxExt, 0.9));
        const double direct = directOne.percentileMs(0.5) * 1000;
        const double gateAdded = gateOne.percentileMs(0.5) * 1000 - direct;
        const double nginxAdded = nginxOne.percentileMs(0.5) * 1000 - direct;
        table.add({"added 1-connection p50 over direct (" + fmt("%.0f µs", direct) + ")", "nginx, same upstream",
                        fmt("%.0f µs", gateAdded), fmt("%.0f µs", nginxAdded),
                        nginxAdded > 0 ? fmt("%.2f", gateAdded / nginxAdded) : "-", "≤ 60 µs",
                        gateAdded <= 60 && gateOne.errors() == 0});
        // Errors have a row of their own.
        table.add(GoalTable::ratioRow("1,000 keep-alive clients on /me, API token", "aiohttp, same load",
                                      gateCrowd.requestsPerSecond(), pythonCrowd.requestsPerSecond(), "req/s", 2));
        table.add({"1,000 keep-alive clients: connection errors/drops", "aiohttp, same load",
                        count(gateCrowd.errors()), count(pythonCrowd.errors()), "-", "0", gateCrowd.errors() == 0});
        table.publish();

        std::printf("\nerrors with 1,000 clients: comfygate %s; aiohttp %s\n", errorBreakdown(gateCrowd).c_str(),
                    errorBreakdown(pythonCrowd).c_str());
        long long otherErrors = 0;
        for (const auto* r : {&pocoToken, &pocoSession, &pythonMe, &gateToken, &gateSession, &nginxExt, &gateExt, &directOne, &nginxOne, &gateOne})
            otherErrors += r->errors();
        if (otherErrors > 0)
            std::printf("errors in the 32- and 1-connection phases: %lld (run with -v for which)\n", otherErrors);
        std::printf("1-connection p50: direct %.0f µs, nginx %.0f µs, comfygate %.0f µs\n", direct,
                    nginxOne.percentileMs(0.5) * 1000, gateOne.percentileMs(0.5) * 1000);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "bench_hotpath: " << e.what() << "\n";
        return 1;
    }
}
