#pragma once

#include "StudioCatalogImport.h"
#include "comfygate/Audit.h"
#include "comfygate/Cli.h"

namespace comfygate::civitaicatalog {

/// `comfygate catalog import FILE [--as models|loras|llm]`: StudioCatalogImport from the
/// command line. The catalog is taken from the file name unless --as names it.
class CatalogCommand
{
public:
    CatalogCommand(CatalogStore& store, CatalogWriter& writer, Audit& audit) : _import(store, writer), _audit(audit) {}

    CliCommand command();

private:
    int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

    StudioCatalogImport _import;
    Audit& _audit;
};

} // namespace comfygate::civitaicatalog
