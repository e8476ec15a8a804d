// The service's session settings (see session.hpp).
#include "store/session.hpp"

#include "store/queries.hpp"

#include <string>

namespace rebound::store {

void
set_up_session(pqxx::connection& conn)
{
    // Deprecated in 6.4 because 7.x drops reactivation altogether; until then
    // it is on by default.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
    pqxx::nontransaction tx{conn};
    tx.exec(std::string(sql::lookup_session_settings.text));
}

}  // namespace rebound::store
