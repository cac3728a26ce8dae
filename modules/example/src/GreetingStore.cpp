#include "GreetingStore.h"

#include <Poco/Data/Session.h>

using namespace Poco::Data::Keywords;

namespace comfygate::example {

long long GreetingStore::greet(const std::string& username)
{
    Poco::Int64 count = 0;
    _database.write([&](Poco::Data::Session& session) {
        std::string name = username;
        session << _database.translate("INSERT INTO example_greetings (username, count) VALUES (?, 1) "
                                       "ON CONFLICT (username) DO UPDATE SET count = example_greetings.count + 1"),
            use(name), now;
        session << _database.translate("SELECT count FROM example_greetings WHERE username = ?"), use(name),
            into(count), now;
    });
    return count;
}

} // namespace comfygate::example
