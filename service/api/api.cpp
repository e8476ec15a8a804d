// Route registration, one line per area.
#include "api/api.hpp"

namespace rebound::api {

void
register_routes(http::router& r, context& ctx)
{
    register_health(r, ctx);
    register_webhooks(r, ctx);
    register_recipients(r, ctx);
    register_lists(r, ctx);
    register_stats(r, ctx);
    register_dashboard(r, ctx);
}

}  // namespace rebound::api
