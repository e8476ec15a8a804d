// rebound's entry point: parse the command line, then hand over to app/.
#include "app/app.hpp"
#include "config/config.hpp"

#include <cstdio>

extern char** environ;

int
main(int argc, char** argv)
{
    auto inv = rebound::config::load(argc, argv, environ);
    if (!inv) {
        std::fprintf(stderr, "rebound: configuration error: %s\n", inv.error().c_str());
        return 2;
    }
    if (inv->command == "help") {
        std::fputs(rebound::config::usage().c_str(), stdout);
        return 0;
    }
    if (inv->command == "version") {
        std::puts("rebound 0.1.0");
        return 0;
    }
    if (inv->command == "config-doc") {
        std::fputs(rebound::config::settings_markdown().c_str(), stdout);
        return 0;
    }
    if (inv->command == "migrate") return rebound::app::migrate(inv->cfg);
    if (inv->command == "reclassify") return rebound::app::reclassify(inv->cfg);
    if (inv->command == "maintain") return rebound::app::maintain(inv->cfg);
    if (inv->command == "explain") return rebound::app::explain(inv->cfg, inv->texts, inv->jsonl);
    return rebound::app::serve(inv->cfg);
}
