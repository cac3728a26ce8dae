// Issue 3's benchmark: GET /mss-login/api/me requests/s with an API token and with a session
// JWT, as ratios to GET /healthz in the same run, and the time of one password verification.
#include "HttpTestClient.h"
#include "LoadGenerator.h"
#include "PasswordHasher.h"
#include "ServerProcess.h"

#include <chrono>
#include <cstdio>
#include <iostream>

using comfygate::bench::LoadGenerator;

int main()
{
    const std::string password = "benchmark root passphrase";
    comfygate::test::ServerProcess server({{"modules.enabled", "auth"}, {"http.access_log", "off"},
                                           {"log.level", "warning"}});
    std::string out, err;
    if (server.runCommand({"user", "add", "owner", "--role", "owner", "--password-stdin"}, out, err, password + "\n") != 0) {
        std::cerr << "cannot create the owner: " << err << "\n";
        return 1;
    }
    server.start();
    comfygate::test::HttpTestClient client(server.port());
    const std::string body = "{\"username\":\"owner\",\"password\":\"" + password + "\"}";
    const std::string session = client.postJson("/login", body).json()->getValue<std::string>("jwt_token");
    const std::string token = client.postJson("/mss-login/generate_token", body).json()->getValue<std::string>("jwt_token");

    const LoadGenerator load(server.port(), 4, std::chrono::milliseconds(4000));
    load.run("/healthz"); // warm-up
    const auto health = load.run("/healthz");
    const auto withToken = load.run("/mss-login/api/me", {{"Authorization", "Bearer " + token}});
    const auto withSession = load.run("/mss-login/api/me", {{"Authorization", "Bearer " + session}});

    comfygate::auth::PasswordHasher hasher({}, 1, std::chrono::milliseconds(60000));
    const std::string hash = hasher.hash(password);
    const int rounds = 10;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i)
        hasher.verify(hash, password);
    const double verifyMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / rounds;

    std::printf("GET /healthz                       %9.0f req/s (%lld failures)\n", health.requestsPerSecond(), health.failures);
    std::printf("GET /mss-login/api/me  API token   %9.0f req/s (%lld failures)  ratio to /healthz %.2f\n",
                withToken.requestsPerSecond(), withToken.failures, withToken.requestsPerSecond() / health.requestsPerSecond());
    std::printf("GET /mss-login/api/me  session JWT %9.0f req/s (%lld failures)  ratio to /healthz %.2f\n",
                withSession.requestsPerSecond(), withSession.failures,
                withSession.requestsPerSecond() / health.requestsPerSecond());
    std::printf("argon2id verification (m=19456 KiB, t=2, p=1): %.1f ms\n", verifyMs);
    return health.failures + withToken.failures + withSession.failures == 0 ? 0 : 1;
}
