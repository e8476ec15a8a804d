// Re-classification of stored events (see reclassify.hpp).
#include "store/reclassify.hpp"

#include "classify/classifier.hpp"
#include "log/log.hpp"
#include "store/queries.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <pqxx/pqxx>

#include <set>

namespace rebound::store {

namespace {

std::string
text_of(pqxx::field const& f)
{
    return f.is_null() ? std::string{} : f.as<std::string>();
}

}  // namespace

boost::system::result<reclassify_report, std::string>
reclassify(std::string const& conninfo, int batch_size)
{
    int const version = classify::classifier_version;
    reclassify_report report;
    try {
        pqxx::connection conn{conninfo};
        for (auto const* q : {&sql::reclassify_progress_get, &sql::reclassify_progress_set, &sql::reclassify_batch,
                              &sql::reclassify_update, &sql::recompute_recipient_state})
            conn.prepare(std::string(q->name), std::string(q->text));

        std::int64_t last_id = 0;
        {
            pqxx::read_transaction tx{conn};
            auto const r = tx.exec_prepared(std::string(sql::reclassify_progress_get.name), version);
            if (!r.empty()) {
                last_id = r[0][0].as<std::int64_t>();
                report.changed = r[0][1].as<std::int64_t>();
            }
        }
        if (last_id > 0) log::info("resuming reclassification", {{"after_id", std::to_string(last_id)}});

        for (;;) {
            // One transaction per batch: the updates, the state and the
            // progress marker commit together, so a resume never skips work.
            pqxx::work tx{conn};
            auto const rows = tx.exec_prepared(std::string(sql::reclassify_batch.name), last_id, version, batch_size);
            if (rows.empty()) break;

            boost::json::array updates;
            std::set<std::string> recipients;
            for (auto const& row : rows) {
                model::normalized_event e;
                e.provider = text_of(row["provider"]);
                e.type = model::parse_event_type(text_of(row["event_type"])).value_or(model::event_type::deferred);
                if (!row["smtp_code"].is_null()) e.smtp_code = row["smtp_code"].as<int>();
                e.enhanced_status = text_of(row["enhanced_status"]);
                e.diagnostic = text_of(row["diagnostic"]);
                e.esp_class = text_of(row["esp_class"]);
                e.esp_type = text_of(row["esp_type"]);
                e.remote_mta = text_of(row["remote_mta"]);
                classify::classify_event(e);

                std::string const severity = e.sev == model::severity::none ? "" : std::string(model::to_string(e.sev));
                if (e.reason != text_of(row["reason"]) || severity != text_of(row["severity"])) {
                    ++report.changed;
                    recipients.insert(text_of(row["recipient"]));
                }
                updates.push_back({{"id", row["id"].as<std::int64_t>()}, {"reason", e.reason}, {"severity", severity}});
                last_id = row["id"].as<std::int64_t>();
            }
            report.scanned += static_cast<std::int64_t>(rows.size());

            tx.exec_prepared(std::string(sql::reclassify_update.name), boost::json::serialize(updates), version);
            if (!recipients.empty()) {
                boost::json::array list;
                for (auto const& r : recipients) list.emplace_back(r);
                tx.exec_prepared(std::string(sql::recompute_recipient_state.name), boost::json::serialize(list));
                report.recipients_recomputed += static_cast<std::int64_t>(recipients.size());
            }
            tx.exec_prepared(std::string(sql::reclassify_progress_set.name), version, last_id, report.changed);
            tx.commit();
            log::info("reclassified a batch", {{"last_id", std::to_string(last_id)},
                                               {"scanned", std::to_string(report.scanned)},
                                               {"changed", std::to_string(report.changed)}});
        }
        return report;
    } catch (std::exception const& e) {
        return {boost::system::in_place_error, std::string(e.what())};
    }
}

}  // namespace rebound::store
