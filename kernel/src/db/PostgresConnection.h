#pragma once

#include <string>

namespace comfygate {

class Configuration;

/// The libpq key=value connection string of the db.postgres.* keys (host, port, database, user,
/// and the password when set): what the server and `comfygate doctor` connect with.
std::string postgresConnectionString(const Configuration& config);

} // namespace comfygate
