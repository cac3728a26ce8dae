#pragma once

#include "comfygate/Database.h"

#include <string>

namespace comfygate::example {

/// Counts greetings per user in the example_greetings table.
class GreetingStore
{
public:
    explicit GreetingStore(Database& database) : _database(database) {}

    /// Adds one greeting for the user and returns the new count.
    long long greet(const std::string& username);

private:
    Database& _database;
};

} // namespace comfygate::example
