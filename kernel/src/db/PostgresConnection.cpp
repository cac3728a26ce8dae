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
    return text;
}

} // namespace comfygate
