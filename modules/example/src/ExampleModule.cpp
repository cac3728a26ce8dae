// The smallest complete module: one migration, one permission, one policy hook, one route,
// one configuration key. Copy it to start a new module (see README.md).
#include "GreetingStore.h"
#include "ModuleMigrations.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Module.h"
#include "comfygate/ModuleContext.h"

#include <Poco/JSON/Object.h>

#include <memory>

namespace comfygate::example {

class ExampleModule : public Module
{
public:
    void start(ModuleContext& context) override
    {
        context.database().migrate(context.moduleName(), moduleMigrations());
        _store = std::make_unique<GreetingStore>(context.database());
        const std::string greeting = context.config().getString("greeting", "hello");

        context.permissions().declare({"example_greet", "be greeted by the example module", "example",
                                       {"admin", "power", "user"}});
        context.policy().declareHook({"greeting", "may rewrite the example module's greeting", FailMode::Open});

        RouteSpec route;
        route.method = "GET";
        route.pattern = "/example/greeting";
        route.apiTwin = true;
        route.access = Access::Permission;
        route.permission = "example_greet";
        route.description = "greets the caller and counts how often it did";
        route.handler = [this, &context, greeting](HttpExchange& exchange) {
            const std::string& user = exchange.principal().username;
            Poco::JSON::Object::Ptr message = new Poco::JSON::Object;
            message->set("message", greeting + ", " + user);
            Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
            subject->set("username", user);
            subject->set("role", exchange.principal().role);
            const Verdict verdict = context.policy().call("greeting", subject, message);
            if (verdict.decision == Verdict::Decision::Modify)
                message = verdict.value.extract<Poco::JSON::Object::Ptr>();
            message->set("greetings", _store->greet(user));
            exchange.sendJson(200, message);
        };
        context.routes().add(route);
    }

    void stop() noexcept override { _store.reset(); }

private:
    std::unique_ptr<GreetingStore> _store;
};

} // namespace comfygate::example

COMFYGATE_MODULE(comfygate::example::ExampleModule, "example", "1.0.0")
