#pragma once

#include "comfygate/Principal.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::auth {

/// The body of GET /mss-login/api/me, written straight as JSON text: the same bytes that the
/// Poco::JSON::Object it replaces gave (keys in sorted order, Poco's string escaping), without
/// building and stringifying a tree of Vars on every request (a third of the route's cost).
class MeAnswer
{
public:
    /// `experimentalFeatures`: the flags of `experimental_features` (configuration, fixed at
    /// start), in any order.
    explicit MeAnswer(std::vector<std::pair<std::string, bool>> experimentalFeatures);

    /// The answer for `principal`, with the groups and effective permissions to show (the
    /// guest's, when it is not authenticated).
    std::string text(const Principal& principal, const std::vector<std::string>& groups,
                     const std::set<std::string>& permissions) const;

private:
    std::string _experimental; // the `experimental_features` object, rendered once
};

} // namespace comfygate::auth
