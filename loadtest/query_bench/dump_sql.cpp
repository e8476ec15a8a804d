// Writes the read API's SQL, exactly as the service prepares it, to
// <dir>/<name>.sql (every stats variant too), so the benchmark EXPLAINs the
// real statements; the names of those the service plans per call to
// <dir>/plan_per_call.txt; and the ingest path's recipient_state upsert to
// <dir>/ingest/, so run.sh can check that the seeded state is what the
// service would have computed.
// Built by run.sh with one g++ line:
//   g++ -std=c++20 -I service loadtest/query_bench/dump_sql.cpp service/store/queries_read.cpp \
//       service/store/queries.cpp -o dump_sql
#include "store/queries.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

int
main(int argc, char** argv)
{
    if (argc != 2) {
        std::cerr << "usage: dump_sql <dir>\n";
        return 2;
    }
    namespace sql = rebound::store::sql;
    std::string const dir = argv[1];
    auto write = [&](sql::query const& q, std::string const& sub = "") {
        std::ofstream out(dir + "/" + sub + std::string(q.name) + ".sql");
        out << q.text << "\n";
        if (!out) {
            std::cerr << "cannot write " << q.name << "\n";
            std::exit(1);
        }
    };
    for (auto const* q : {&sql::recipients_by_address, &sql::recipients_by_user, &sql::recipient_timeline,
                          &sql::soft_bounces_window, &sql::soft_bounces_streak, &sql::notices_list, &sql::notice_get})
        write(*q);
    // Every stats variant: the rollups and the daily_stats fallback.
    for (auto const* q : sql::stats_statements()) write(*q);
    // Which statements the service plans per call (bench.py explain marks them).
    std::ofstream per_call(dir + "/plan_per_call.txt");
    for (auto const* q : {&sql::recipients_by_address, &sql::recipients_by_user, &sql::recipient_timeline,
                          &sql::soft_bounces_window, &sql::soft_bounces_streak, &sql::notices_list, &sql::notice_get})
        if (sql::plan_per_call(*q)) per_call << q->name << "\n";
    for (auto const* q : sql::stats_statements())
        if (sql::plan_per_call(*q)) per_call << q->name << "\n";
    write(sql::upsert_recipient_state, "ingest/");
    return 0;
}
