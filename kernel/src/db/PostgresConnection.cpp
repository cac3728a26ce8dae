#include "PostgresConnection.h"

#include "Configuration.h"

namespace comfygate {

std::string postgresConnectionString(const Configuration& config)
{
    std::string text = "host=" + config.getString("db.postgres.host", "localhost") +
                       " port=" + config.getString("db.postgres.port", "5432") +
                       " dbname=" + config.getString("db.postgres.database", "comfygate") +
                       " user=" + config.getString("db.postgres.user", "comfygate");
    const std::string password = config.getString("db.postgres.password", "");
    if (!password.empty())
        text += " password=" + password;
    // TLS to the database: libpq's sslmode (disable, prefer, require, verify-ca, verify-full)
    // and, to verify the server, the CA certificate file.
    const std::string sslmode = config.getString("db.postgres.sslmode", "");
    if (!sslmode.empty())
        text += " sslmode=" + sslmode;
    const std::string rootCert = config.getString("db.postgres.sslrootcert", "");
    if (!rootCert.empty())
        text += " sslrootcert=" + rootCert;
    return text;
}

} // namespace comfygate
