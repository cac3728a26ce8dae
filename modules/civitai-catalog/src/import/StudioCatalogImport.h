#pragma once

#include "CatalogStore.h"
#include "CatalogWriter.h"

#include <Poco/JSON/Object.h>

#include <iosfwd>
#include <string>

namespace comfygate::civitaicatalog {

/// Imports a comfyui-studio catalog file (models.json, loras.json or llm.json, §2.7) into the
/// catalog: every entry keeps its fields; entries already present (same source key, or the
/// same file in the same catalog) and entries that cannot be keyed are skipped, so running it
/// twice changes nothing. All imported entries are one change (one new version).
class StudioCatalogImport
{
public:
    struct Summary
    {
        int imported = 0;
        int skipped = 0;
    };

    StudioCatalogImport(CatalogStore& store, CatalogWriter& writer) : _store(store), _writer(writer) {}

    /// `catalog`: models | loras | llm. Prints one line per entry to `out`.
    /// Throws std::invalid_argument when the document is not a §2.7 catalog.
    Summary run(const Poco::JSON::Object::Ptr& document, const std::string& catalog, std::ostream& out);

private:
    CatalogStore& _store;
    CatalogWriter& _writer;
};

} // namespace comfygate::civitaicatalog
