#include "PasswordPolicy.h"

#include "PasswordHasher.h"

#include <Poco/String.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>

#include <stdexcept>
#include <string_view>
#include <unordered_set>

namespace comfygate::auth {

namespace {

// Written from the commonly published "most used passwords" lists; all lower case.
constexpr std::string_view commonPasswords[] = {
    "123456", "password", "123456789", "12345678", "12345", "qwerty", "1234567", "111111",
    "1234567890", "123123", "abc123", "1234", "password1", "iloveyou", "1q2w3e4r", "000000",
    "qwerty123", "zaq12wsx", "dragon", "sunshine", "princess", "letmein", "654321", "monkey",
    "27653", "1qaz2wsx", "123321", "qwertyuiop", "superman", "asdfghjkl", "trustno1", "football",
    "baseball", "welcome", "welcome1", "welcome123", "admin", "admin123", "administrator", "root",
    "toor", "passw0rd", "p@ssw0rd", "p@ssword", "pa$$word", "password123", "password12",
    "password2", "password!", "qwerty1", "qwerty12", "qwe123", "qweasd", "qweasdzxc", "asdasd",
    "asdfgh", "asdf1234", "zxcvbnm", "zxcvbn", "1qazxsw2", "q1w2e3r4", "q1w2e3r4t5", "1q2w3e",
    "1q2w3e4r5t", "1q2w3e4r5t6y", "12qwaszx", "123qwe", "123abc", "abcd1234", "abcdef", "abcdefg",
    "abcdefgh", "abcdefghi", "123456a", "123456789a", "a123456", "a1b2c3", "a1b2c3d4", "aa123456",
    "111111111", "11111111", "1111111", "11111", "000000000", "00000000", "0000000", "0000",
    "121212", "112233", "123123123", "123654", "159753", "147258369", "147258", "159357",
    "987654321", "9876543210", "87654321", "7777777", "666666", "555555", "888888", "999999",
    "222222", "333333", "444444", "101010", "131313", "696969", "iloveyou1", "iloveu", "loveme",
    "lovely", "love123", "lover", "loveyou", "ilovegod", "jesus", "jesus1", "michael", "jennifer",
    "jordan", "hunter", "ashley", "daniel", "jessica", "charlie", "thomas", "robert", "andrew",
    "joshua", "matthew", "anthony", "michelle", "nicole", "hannah", "amanda", "summer", "taylor",
    "master", "master123", "killer", "shadow", "freedom", "whatever", "secret", "secret123",
    "starwars", "batman", "pokemon", "naruto", "minecraft", "fortnite", "roblox", "computer",
    "internet", "samsung", "google", "apple", "soccer", "hockey", "basketball", "tennis",
    "golfer", "yankees", "cowboys", "dallas", "chelsea", "liverpool", "arsenal", "barcelona",
    "juventus", "rangers", "eagles", "lakers", "steelers", "packers", "redsox", "mustang",
    "ferrari", "porsche", "corvette", "harley", "mercedes", "bmw", "chevy", "nascar", "spider",
    "tigger", "maggie", "buster", "ginger", "pepper", "cookie", "banana", "chocolate", "cheese",
    "orange", "peanut", "flower", "garden", "rainbow", "butterfly", "angel", "angel1", "angels",
    "baby", "babygirl", "blessed", "buttercup", "sweety", "sweetheart", "cupcake", "candy",
    "bubbles", "snoopy", "mickey", "minnie", "tweety", "hello", "hello123", "hello1",
    "helloworld", "test", "test123", "testing", "test1234", "guest", "guest123", "changeme",
    "changeme123", "default", "letmein1", "login", "login123", "user", "user123", "pass",
    "pass123", "passwd", "pass1234", "access", "access14", "private", "security", "system",
    "manager", "support", "demo", "temp", "temp123", "sample", "server", "oracle", "mysql",
    "database", "qazwsx", "qazwsxedc", "1qaz2wsx3edc", "zaq1zaq1", "zaq1xsw2", "!qaz2wsx",
    "q1w2e3", "qwertz", "qwertz123", "azerty", "azerty123", "asdf", "monkey123", "dragon123",
    "shadow123", "sunshine1", "princess1", "football1", "baseball1", "superman1", "michael1",
    "charlie1", "jordan23", "ninja", "mustang1", "hottie", "flowers", "matrix", "cheese123",
    "biteme", "whatever1", "nothing", "unknown", "forever", "friends", "family", "mother",
    "father", "sister", "summer2023", "summer2024", "winter2023", "winter2024", "spring2024",
    "autumn2024", "2020", "2021", "2022", "2023", "2024", "2025", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december", "monday",
    "friday", "sunday", "iloveme", "trustme", "thunder", "purple", "yellow", "silver", "golden",
    "diamond", "phoenix", "falcon", "eagle", "tiger", "lion", "dolphin", "jaguar", "cowboy",
    "player", "player1", "gamer", "gaming", "letsgo", "qwerty12345", "1234qwer", "1234abcd",
    "abc12345", "abcabc", "aaaaaa", "aaaaaaaa", "asdfasdf", "121212121", "102030", "123qweasd",
    "comfyui", "comfygate", "stable", "diffusion", "stablediffusion", "midjourney", "openai",
    "chatgpt",
};

const std::unordered_set<std::string_view>& commonPasswordSet()
{
    static const std::unordered_set<std::string_view> set(std::begin(commonPasswords),
                                                          std::end(commonPasswords));
    return set;
}

/// Code points in `text`, or nullopt when it is not valid UTF-8.
std::optional<std::size_t> codePoints(const std::string& text)
{
    Poco::UTF8Encoding utf8;
    std::size_t count = 0;
    for (Poco::TextIterator it(text, utf8), end(text); it != end; ++it) {
        if (*it < 0) {
            return std::nullopt;
        }
        ++count;
    }
    return count;
}

} // namespace

PasswordPolicy::PasswordPolicy(std::size_t minLength, std::size_t maxBytes)
    : _minLength(minLength), _maxBytes(maxBytes)
{
    if (_minLength < 8) {
        throw std::invalid_argument("the minimum password length must be at least 8 characters");
    }
    if (_maxBytes < 256 || _maxBytes > PasswordHasher::maxPasswordBytes) {
        throw std::invalid_argument("the maximum password size must be between 256 and " +
                                    std::to_string(PasswordHasher::maxPasswordBytes) + " bytes");
    }
    if (_minLength > _maxBytes) {
        throw std::invalid_argument("the minimum password length exceeds the maximum size");
    }
}

std::optional<std::string> PasswordPolicy::problem(const std::string& password,
                                                   const std::string& username) const
{
    if (password.size() > _maxBytes) {
        return "The password is too long: use at most " + std::to_string(_maxBytes) +
               " bytes (about " + std::to_string(_maxBytes / 4) + " characters in any script).";
    }
    const auto length = codePoints(password);
    if (!length) {
        return std::string("The password contains bytes that are not valid UTF-8 text.");
    }
    if (*length < _minLength) {
        return "The password is too short: use at least " + std::to_string(_minLength) +
               " characters.";
    }
    const std::string folded = Poco::toLower(password);
    const std::string foldedUser = Poco::toLower(username);
    if (!foldedUser.empty() && folded == foldedUser) {
        return std::string("The password must not be the username.");
    }
    if (!foldedUser.empty() && folded.find(foldedUser) != std::string::npos) {
        return std::string("The password must not contain the username.");
    }
    if (isCommon(password)) {
        return std::string("This password is one of the most commonly used ones and easy to "
                           "guess; choose another, for example a few unrelated words.");
    }
    return std::nullopt;
}

bool PasswordPolicy::isCommon(const std::string& password)
{
    return commonPasswordSet().count(Poco::toLower(password)) > 0;
}

std::size_t PasswordPolicy::commonPasswordCount()
{
    return std::size(commonPasswords);
}

} // namespace comfygate::auth
