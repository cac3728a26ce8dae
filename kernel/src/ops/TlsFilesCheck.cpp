#include "DoctorChecks.h"
#include "KernelSettings.h"

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <sys/stat.h>
#include <unistd.h>

namespace comfygate {

void TlsFilesCheck::run(const KernelSettings& settings, DoctorReport& report)
{
    const std::string& cert = settings.http.tlsCert;
    const std::string& key = settings.http.tlsKey;
    if (cert.empty()) {
        report.skip("tls", "http.tls.cert is not set: plain HTTP (fine behind a TLS-terminating proxy)");
        return;
    }
    Poco::DateTime expires;
    try {
        expires = Poco::Crypto::X509Certificate(cert).expiresOn();
    } catch (const std::exception& e) {
        report.fail("tls", "certificate " + cert + " cannot be read: " + e.what(),
                    "point http.tls.cert at a readable PEM certificate");
        return;
    }
    const std::string until = Poco::DateTimeFormatter::format(expires, Poco::DateTimeFormat::ISO8601_FORMAT);
    if (::access(key.c_str(), R_OK) != 0) {
        report.fail("tls", "key " + key + " is not readable by this user", "check http.tls.key and its owner");
        return;
    }
    struct stat info{};
    ::stat(key.c_str(), &info);
    if ((info.st_mode & S_IROTH) != 0) {
        report.fail("tls", "key " + key + " is world-readable", "chmod 600 '" + key + "'");
        return;
    }
    const Poco::Timespan left = expires.timestamp() - Poco::Timestamp();
    if (left <= 0)
        report.fail("tls", "certificate " + cert + " expired on " + until, "renew it and restart the server");
    else if (left.days() < 14)
        report.warn("tls", "certificate " + cert + " expires on " + until, "renew it soon");
    else
        report.ok("tls", "certificate " + cert + " valid until " + until + ", key private");
}

} // namespace comfygate
