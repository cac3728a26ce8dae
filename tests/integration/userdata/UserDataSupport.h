#pragma once
// What the userdata suites share: a gateway with the userdata module in front of the fake
// ComfyUI (ComfyGatewayTest), whose database backend a suite chooses (backendSettings()), plus
// small helpers for JSON answers.
#include "../comfy-proxy/ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace comfygate::test::userdata {

inline Headers with(Headers headers, const std::string& name, const std::string& value)
{
    headers[name] = value;
    return headers;
}

inline Poco::Dynamic::Var parseJson(const std::string& text)
{
    return Poco::JSON::Parser().parse(text);
}

inline Poco::JSON::Array::Ptr jsonArray(const HttpResult& result)
{
    try {
        return parseJson(result.body).extract<Poco::JSON::Array::Ptr>();
    } catch (const std::exception&) {
        CPPUNIT_FAIL("not a JSON array (status " + std::to_string(result.status) + "): " + result.body);
    }
    return nullptr;
}

inline Poco::JSON::Object::Ptr jsonObject(const HttpResult& result)
{
    try {
        return parseJson(result.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        CPPUNIT_FAIL("not a JSON object (status " + std::to_string(result.status) + "): " + result.body);
    }
    return nullptr;
}

inline std::string stringify(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

/// The strings of a JSON array of strings, sorted (ComfyUI does not define a listing's order).
inline std::vector<std::string> sortedStrings(const Poco::JSON::Array::Ptr& array)
{
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i)
        values.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    std::sort(values.begin(), values.end());
    return values;
}

inline std::string joined(const std::vector<std::string>& values)
{
    std::string text;
    for (const auto& value : values)
        text += (text.empty() ? "" : ",") + value;
    return text;
}

/// Deep JSON equality where numbers compare by value (1 == 1.0) and object keys by name.
inline bool sameJson(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b)
{
    if (a.isEmpty() || b.isEmpty())
        return a.isEmpty() && b.isEmpty();
    const bool aObject = a.type() == typeid(Poco::JSON::Object::Ptr);
    const bool bObject = b.type() == typeid(Poco::JSON::Object::Ptr);
    if (aObject || bObject) {
        if (!aObject || !bObject)
            return false;
        auto x = a.extract<Poco::JSON::Object::Ptr>();
        auto y = b.extract<Poco::JSON::Object::Ptr>();
        if (x->size() != y->size())
            return false;
        for (const auto& name : x->getNames())
            if (!y->has(name) || !sameJson(x->get(name), y->get(name)))
                return false;
        return true;
    }
    const bool aArray = a.type() == typeid(Poco::JSON::Array::Ptr);
    const bool bArray = b.type() == typeid(Poco::JSON::Array::Ptr);
    if (aArray || bArray) {
        if (!aArray || !bArray)
            return false;
        auto x = a.extract<Poco::JSON::Array::Ptr>();
        auto y = b.extract<Poco::JSON::Array::Ptr>();
        if (x->size() != y->size())
            return false;
        for (unsigned i = 0; i < x->size(); ++i)
            if (!sameJson(x->get(i), y->get(i)))
                return false;
        return true;
    }
    if (a.isNumeric() && b.isNumeric() && !a.isBoolean() && !b.isBoolean())
        return std::fabs(a.convert<double>() - b.convert<double>()) < 1e-9;
    if (a.isString() != b.isString() || a.isBoolean() != b.isBoolean())
        return false;
    return a.toString() == b.toString();
}

inline std::string describe(const HttpResult& result)
{
    return std::to_string(result.status) + " " + result.body;
}

/// An error's text: the `error` of a JSON object answer, else the plain body.
inline std::string errorText(const HttpResult& result)
{
    try {
        auto object = parseJson(result.body).extract<Poco::JSON::Object::Ptr>();
        if (object->has("error"))
            return object->getValue<std::string>("error");
    } catch (...) {
    }
    return result.body;
}

/// What the kernel answers (400) for a request path with dot segments, backslashes or bad
/// encoding, before any module sees it.
inline const std::string kernelPathRefusal = "the request path is not allowed (dot segments, backslashes or bad encoding)";

/// A name that leaves the user's root: 403 from the module, or the kernel's 400 path refusal.
inline bool leavesRoot(const HttpResult& result)
{
    return result.status == 403 || (result.status == 400 && errorText(result) == kernelPathRefusal);
}

/// A number of seconds since the epoch (ComfyUI's file times), not milliseconds.
inline bool looksLikeSeconds(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty() || !value.isNumeric())
        return false;
    const double seconds = value.convert<double>();
    return seconds > 1.5e9 && seconds < 1.0e10;
}

/// A suite's gateway: comfy-proxy + userdata + fixture_auth in front of the fake ComfyUI, on the
/// database the suite chooses.
class UserDataGatewayTest : public ComfyGatewayTest
{
public:
    void setUp() override { startUserData(); }

protected:
    static inline const std::string userDataModules = "comfy-proxy,userdata,fixture_auth";

    /// Extra --set keys naming the database (none: SQLite in the gateway's data directory).
    virtual Headers backendSettings() { return {}; }

    /// (Re)starts the suite's gateway with `settings` on top of the backend's.
    void startUserData(const Headers& settings = {})
    {
        useServer(startUserDataServer(settings));
    }

    std::unique_ptr<ServerProcess> startUserDataServer(const Headers& settings = {})
    {
        Headers config = backendSettings();
        for (const auto& [key, value] : settings)
            config[key] = value;
        return startServer(config, userDataModules);
    }

    HttpResult post(const Headers& user, const std::string& uri, const std::string& body)
    {
        return _client->request("POST", uri, body, user);
    }

    HttpResult del(const Headers& user, const std::string& uri) { return _client->request("DELETE", uri, "", user); }

    /// Saves `content` as the caller's `path` (asserts 200).
    void save(const Headers& user, const std::string& path, const std::string& content)
    {
        auto saved = post(user, "/api/userdata/" + encodeQueryValue(path), content);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("save " + path + ": " + saved.body, 200, saved.status);
    }

    /// Every file path of the caller (GET /v2/userdata, recursive), sorted.
    std::vector<std::string> allFiles(const Headers& user)
    {
        auto listed = _client->get("/v2/userdata", user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        std::vector<std::string> files;
        auto entries = jsonArray(listed);
        for (unsigned i = 0; i < entries->size(); ++i) {
            auto entry = entries->getObject(i);
            if (entry->getValue<std::string>("type") == "file")
                files.push_back(entry->getValue<std::string>("path"));
        }
        std::sort(files.begin(), files.end());
        return files;
    }

    /// The end of the gateway's log, for failure messages.
    std::string logTail() const
    {
        const std::string log = _server->stderrText() + _server->stdoutText();
        return log.size() > 3000 ? log.substr(log.size() - 3000) : log;
    }

    /// The fake ComfyUI was never asked about userdata, settings or users: the gateway answers
    /// those itself.
    void assertComfyAskedNothing()
    {
        for (const auto& recorded : _comfy->requests()) {
            const std::string& uri = recorded.uri;
            for (const char* prefix : {"/userdata", "/api/userdata", "/v2/userdata", "/api/v2/userdata", "/settings",
                                       "/api/settings", "/users", "/api/users"})
                CPPUNIT_ASSERT_MESSAGE("ComfyUI received " + recorded.method + " " + uri, uri.rfind(prefix, 0) != 0);
        }
    }
};

} // namespace comfygate::test::userdata
