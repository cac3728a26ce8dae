#include "CatalogCommand.h"

#include "CatalogDocument.h"
#include "comfygate/CliWords.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>

namespace comfygate::civitaicatalog {

namespace {

const char* const usage = "usage: comfygate catalog import FILE [--as models|loras|llm]\n"
                          "  Imports a comfyui-studio catalog file (models.json, loras.json, llm.json) into the\n"
                          "  catalog. Entries already present are skipped; running it twice changes nothing.\n"
                          "  The catalog is taken from the file name (models.json -> models) unless --as names it.\n";

} // namespace

CliCommand CatalogCommand::command()
{
    CliCommand command;
    command.name = "catalog";
    command.summary = "import a comfyui-studio catalog file (models.json, loras.json, llm.json)";
    command.usage = usage;
    command.run = [this](const std::vector<std::string>& args, std::istream&, std::ostream& out, std::ostream& err) {
        return run(args, out, err);
    };
    return command;
}

int CatalogCommand::run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    CliWords words;
    try {
        words = CliWords::parse(args, {}, {"--as"});
    } catch (const std::invalid_argument& error) {
        err << error.what() << '\n' << usage;
        return 2;
    }
    if (words.positional.size() != 2 || words.positional[0] != "import") {
        err << usage;
        return 2;
    }
    const std::filesystem::path file = words.positional[1];
    const std::string catalog = words.has("--as") ? words.flags.at("--as") : file.stem().string();
    const auto& names = CatalogDocument::catalogNames();
    if (std::find(names.begin(), names.end(), catalog) == names.end()) {
        err << "cannot tell which catalog '" << file.filename().string()
            << "' is: name it with --as models|loras|llm\n";
        return 2;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        err << "cannot read " << file.string() << '\n';
        return 1;
    }
    try {
        const auto parsed = Poco::JSON::Parser().parse(in);
        const auto document =
            parsed.type() == typeid(Poco::JSON::Object::Ptr) ? parsed.extract<Poco::JSON::Object::Ptr>() : nullptr;
        const auto summary = _import.run(document, catalog, out);
        out << summary.imported << " imported, " << summary.skipped << " skipped\n";
        if (summary.imported > 0)
            _audit.record({"cli", "catalog.import", file.string(), "",
                           "{\"catalog\":\"" + catalog + "\",\"imported\":" + std::to_string(summary.imported) + "}"});
        return 0;
    } catch (const Poco::Exception& error) {
        err << file.string() << " is not JSON: " << error.displayText() << '\n';
    } catch (const std::exception& error) {
        err << file.string() << ": " << error.what() << '\n';
    }
    return 1;
}

} // namespace comfygate::civitaicatalog
