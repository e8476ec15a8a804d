// The read API's SQL (names declared in queries.hpp). Every list is keyset
// paginated on an indexed order, so a page costs the same on the first call
// and the thousandth; filters are "empty string means any".
#include "store/queries.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rebound::store::sql {

namespace {

// One recipient_state row joined with its open notice; shared by the address
// and user lookups.
std::string const recipient_columns = R"sql(
SELECT s.recipient, s.recipient_domain, s.user_ref, s.provider, s.source,
       s.last_event_type, rebound_iso(s.last_event_at) AS last_event_at,
       rebound_iso(s.last_delivered_at) AS last_delivered_at,
       s.soft_streak, rebound_iso(s.streak_started_at) AS streak_started_at,
       rebound_iso(s.last_soft_at) AS last_soft_at, s.last_soft_reason,
       rebound_iso(s.hard_bounced_at) AS hard_bounced_at, s.hard_reason,
       (s.hard_bounced_at IS NOT NULL AND (s.last_delivered_at IS NULL OR s.hard_bounced_at > s.last_delivered_at)) AS hard_active,
       rebound_iso(s.complained_at) AS complained_at,
       n.id AS notice_id, n.state AS notice_state, n.reason AS notice_reason
FROM recipient_state s
LEFT JOIN notices n ON n.recipient = s.recipient AND n.state <> 'resolved')sql";

std::string const by_address_text = recipient_columns + R"sql(
WHERE s.recipient IN (SELECT lower(a) FROM json_array_elements_text($1::json) AS a))sql";

std::string const by_user_text = recipient_columns + R"sql(
WHERE s.user_ref IN (SELECT u FROM json_array_elements_text($1::json) AS u)
ORDER BY s.user_ref, s.recipient)sql";

}  // namespace

query const recipients_by_address{"recipients_by_address", by_address_text};
query const recipients_by_user{"recipients_by_user", by_user_text};

query const recipient_timeline{"recipient_timeline", R"sql(
SELECT e.id, e.provider, e.source, e.event_type, rebound_iso(e.occurred_at) AS occurred_at,
       rebound_iso(e.received_at) AS received_at, e.smtp_code, e.enhanced_status, e.diagnostic,
       e.reason, e.severity, e.esp_message_id, e.esp_class, e.esp_type, e.user_ref
FROM events e
WHERE e.recipient = lower($1)
  AND (NULLIF($2, '') IS NULL OR (e.occurred_at, e.id) < (NULLIF($2, '')::timestamptz, NULLIF($3, '')::bigint))
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT $4::int)sql"};

// Candidates come from recipient_state in (last_soft_at DESC, recipient DESC)
// index order; each is counted from the partial soft-failure index, and the
// scan stops once a page is full.
query const soft_bounces_window{"soft_bounces_window", R"sql(
WITH page AS (
    SELECT s.recipient, s.recipient_domain, s.user_ref, s.provider, s.source, s.soft_streak,
           s.last_soft_reason, s.last_soft_at, w.failures, w.first_at, w.last_at
    FROM recipient_state s
    CROSS JOIN LATERAL (
        SELECT count(*) AS failures, min(e.occurred_at) AS first_at, max(e.occurred_at) AS last_at
        FROM events e
        WHERE e.recipient = s.recipient AND e.severity = 'soft'
          AND e.occurred_at >= now() - make_interval(secs => $1::double precision)
          AND (NULLIF($4, '') IS NULL OR e.reason = $4)
    ) w
    WHERE s.last_soft_at >= now() - make_interval(secs => $1::double precision)
      AND w.failures >= $2::int
      AND (NULLIF($3, '') IS NULL OR s.recipient_domain = lower($3))
      AND (NULLIF($5, '') IS NULL OR s.provider = $5)
      AND (NULLIF($6, '') IS NULL OR s.source = $6)
      AND (NULLIF($7, '') IS NULL OR (s.last_soft_at, s.recipient) < (NULLIF($7, '')::timestamptz, $8))
    ORDER BY s.last_soft_at DESC, s.recipient DESC
    LIMIT $9::int
)
SELECT p.recipient, p.recipient_domain, p.user_ref, p.provider, p.source, p.failures, p.soft_streak,
       rebound_iso(p.first_at) AS first_failure_at, rebound_iso(p.last_at) AS last_failure_at,
       p.last_soft_reason,
       (SELECT json_agg(json_build_object('reason', r.reason, 'count', r.n) ORDER BY r.n DESC, r.reason)
        FROM (SELECT coalesce(e.reason, '') AS reason, count(*) AS n
              FROM events e
              WHERE e.recipient = p.recipient AND e.severity = 'soft'
                AND e.occurred_at >= now() - make_interval(secs => $1::double precision)
              GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3) r) AS top_reasons,
       rebound_iso(p.last_soft_at) AS cursor_at
FROM page p
ORDER BY p.last_soft_at DESC, p.recipient DESC)sql"};

// K soft failures in a row since the last delivery: the streak is kept in
// recipient_state, so this is an index range scan with a filter.
query const soft_bounces_streak{"soft_bounces_streak", R"sql(
WITH page AS (
    SELECT s.*
    FROM recipient_state s
    WHERE s.last_soft_at IS NOT NULL
      AND s.soft_streak >= $1::int
      AND (NULLIF($2, '') IS NULL OR s.recipient_domain = lower($2))
      AND (NULLIF($3, '') IS NULL OR s.last_soft_reason = $3)
      AND (NULLIF($4, '') IS NULL OR s.provider = $4)
      AND (NULLIF($5, '') IS NULL OR s.source = $5)
      AND (NULLIF($6, '') IS NULL OR (s.last_soft_at, s.recipient) < (NULLIF($6, '')::timestamptz, $7))
    ORDER BY s.last_soft_at DESC, s.recipient DESC
    LIMIT $8::int
)
SELECT p.recipient, p.recipient_domain, p.user_ref, p.provider, p.source, p.soft_streak AS failures, p.soft_streak,
       rebound_iso(p.streak_started_at) AS first_failure_at, rebound_iso(p.last_soft_at) AS last_failure_at,
       p.last_soft_reason,
       (SELECT json_agg(json_build_object('reason', r.reason, 'count', r.n) ORDER BY r.n DESC, r.reason)
        FROM (SELECT coalesce(e.reason, '') AS reason, count(*) AS n
              FROM events e
              WHERE e.recipient = p.recipient AND e.severity = 'soft'
                AND e.occurred_at > coalesce(p.last_delivered_at, '-infinity')
              GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3) r) AS top_reasons,
       rebound_iso(p.last_soft_at) AS cursor_at
FROM page p
ORDER BY p.last_soft_at DESC, p.recipient DESC)sql"};

query const notices_list{"notices_list", R"sql(
SELECT n.id, n.recipient, n.recipient_domain, n.user_ref, n.state, n.reason,
       rebound_iso(n.bounced_at) AS bounced_at, rebound_iso(n.opened_at) AS opened_at,
       rebound_iso(n.notified_at) AS notified_at, rebound_iso(n.resolved_at) AS resolved_at, n.resolution
FROM notices n
WHERE (NULLIF($1, '') IS NULL OR n.state = $1)
  AND (NULLIF($2, '') IS NULL OR n.recipient_domain = lower($2))
  AND (NULLIF($3, '') IS NULL OR n.reason = $3)
  AND (NULLIF($4, '') IS NULL OR n.user_ref = $4)
  AND (NULLIF($5, '') IS NULL OR n.id > NULLIF($5, '')::bigint)
ORDER BY n.id
LIMIT $6::int)sql"};

query const notice_get{"notice_get", R"sql(
SELECT n.id, n.recipient, n.recipient_domain, n.user_ref, n.state, n.reason,
       rebound_iso(n.bounced_at) AS bounced_at, rebound_iso(n.opened_at) AS opened_at,
       rebound_iso(n.notified_at) AS notified_at, rebound_iso(n.resolved_at) AS resolved_at, n.resolution,
       (SELECT json_agg(json_build_object('at', rebound_iso(h.at), 'from', h.from_state, 'to', h.to_state,
                                          'actor', h.actor, 'note', h.note) ORDER BY h.at, h.id)
        FROM notice_history h WHERE h.notice_id = n.id) AS history
FROM notices n
WHERE n.id = $1::bigint)sql"};

// Transitions report the state before and whether anything changed: no row
// means no such notice (404); changed = 0 with another state is a conflict.
query const notice_mark_notified{"notice_mark_notified", R"sql(
WITH before AS (
    SELECT id, state FROM notices WHERE id = $1::bigint FOR UPDATE
), changed AS (
    UPDATE notices n SET state = 'notified', notified_at = now(), updated_at = now()
    FROM before WHERE n.id = before.id AND before.state = 'pending'
    RETURNING n.id
), logged AS (
    INSERT INTO notice_history (notice_id, from_state, to_state, actor, note)
    SELECT id, 'pending', 'notified', $2, NULLIF($3, '') FROM changed
)
SELECT before.state AS previous_state, (SELECT count(*) FROM changed) AS changed FROM before)sql"};

query const notice_resolve{"notice_resolve", R"sql(
WITH before AS (
    SELECT id, state FROM notices WHERE id = $1::bigint FOR UPDATE
), changed AS (
    UPDATE notices n SET state = 'resolved', resolution = 'address_changed', resolved_at = now(), updated_at = now()
    FROM before WHERE n.id = before.id AND before.state IN ('pending', 'notified')
    RETURNING n.id
), logged AS (
    INSERT INTO notice_history (notice_id, from_state, to_state, actor, note)
    SELECT before.id, before.state, 'resolved', $2, NULLIF($3, '') FROM before JOIN changed ON changed.id = before.id
)
SELECT before.state AS previous_state, (SELECT count(*) FROM changed) AS changed FROM before)sql"};

query const provider_notices_list{"provider_notices_list", R"sql(
SELECT id, provider, source, kind, topic, url, rebound_iso(received_at) AS received_at,
       rebound_iso(confirmed_at) AS confirmed_at
FROM provider_notices
WHERE (NULLIF($1, '') IS NULL OR id < NULLIF($1, '')::bigint)
ORDER BY id DESC
LIMIT $2::int)sql"};

query const record_provider_notice{"record_provider_notice", R"sql(
INSERT INTO provider_notices (provider, source, kind, topic, url, raw)
VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6::json)
RETURNING id)sql"};

query const confirm_provider_notice{"confirm_provider_notice", R"sql(
UPDATE provider_notices SET confirmed_at = now() WHERE id = NULLIF($1, '')::bigint RETURNING id)sql"};

// Stats come from the smallest table that can answer the filters given
// (schema/005_rollups.sql): daily_totals without a domain, daily_domain_totals
// for domains without provider, source or reason, daily_stats for the rest.
// Every variant takes the same six parameters so the handler does not care
// which one runs; a filter a rollup does not keep is pinned to "not given"
// in its WHERE, so a wrong choice answers nothing rather than wrong totals.
namespace {

// The rates' inputs from a table of (event_type, severity, events) rows.
constexpr char const* counted_measures = R"sql(
       sum(events) FILTER (WHERE event_type = 'delivered') AS delivered,
       sum(events) FILTER (WHERE event_type = 'bounce' AND severity = 'hard') AS hard_bounces,
       sum(events) FILTER (WHERE event_type = 'bounce' AND severity <> 'hard') AS soft_bounces,
       sum(events) FILTER (WHERE event_type = 'block') AS blocks,
       sum(events) FILTER (WHERE event_type = 'deferred') AS deferrals,
       sum(events) FILTER (WHERE event_type = 'drop') AS drops,
       sum(events) FILTER (WHERE event_type = 'complaint') AS complaints
)sql";

constexpr char const* detail_from = R"sql(FROM daily_stats
WHERE day BETWEEN $1::date AND $2::date
  AND (NULLIF($3, '') IS NULL OR provider = $3)
  AND (NULLIF($4, '') IS NULL OR source = $4)
  AND (NULLIF($5, '') IS NULL OR recipient_domain = lower($5))
  AND (NULLIF($6, '') IS NULL OR reason = $6)
)sql";

constexpr char const* totals_from = R"sql(FROM daily_totals
WHERE day BETWEEN $1::date AND $2::date
  AND (NULLIF($3, '') IS NULL OR provider = $3)
  AND (NULLIF($4, '') IS NULL OR source = $4)
  AND NULLIF($5, '') IS NULL
  AND (NULLIF($6, '') IS NULL OR reason = $6)
)sql";

// The same measures, already split into columns by the ingest.
constexpr char const* domain_measures = R"sql(
       sum(delivered) AS delivered, sum(hard_bounces) AS hard_bounces, sum(soft_bounces) AS soft_bounces,
       sum(blocks) AS blocks, sum(deferrals) AS deferrals, sum(drops) AS drops, sum(complaints) AS complaints
)sql";

constexpr char const* domain_totals_from = R"sql(FROM daily_domain_totals
WHERE day BETWEEN $1::date AND $2::date
  AND NULLIF($3, '') IS NULL
  AND NULLIF($4, '') IS NULL
  AND (NULLIF($5, '') IS NULL OR recipient_domain = lower($5))
  AND NULLIF($6, '') IS NULL
)sql";

enum class source_table { totals, domain_totals, detail };

struct stats_query {
    std::string_view group;
    source_table table;
    std::string name;
    std::string text;
    query q;
};

// A day's measures are complete in every table (the six event types, bounces
// split by severity), so sum(events) and the sum of the seven columns order
// domains identically.
std::vector<stats_query>&
stats_queries()
{
    static std::vector<stats_query> all = [] {
        std::string const counted = counted_measures;
        std::string const by_domain_measures = domain_measures;
        std::vector<stats_query> a;
        auto add_counted = [&](source_table t, std::string const& suffix, char const* from) {
            std::string const f = from;
            a.push_back({"day", t, "stats_by_day" + suffix, "SELECT to_char(day, 'YYYY-MM-DD') AS day," + counted + f + "GROUP BY day ORDER BY day", {}});
            a.push_back({"provider", t, "stats_by_provider" + suffix, "SELECT provider," + counted + f + "GROUP BY provider ORDER BY provider", {}});
            a.push_back({"source", t, "stats_by_source" + suffix, "SELECT provider, source," + counted + f + "GROUP BY provider, source ORDER BY provider, source", {}});
            a.push_back({"reason", t, "stats_by_reason" + suffix, "SELECT reason, event_type," + counted + f + "GROUP BY reason, event_type ORDER BY reason, event_type", {}});
        };
        add_counted(source_table::totals, "", totals_from);
        add_counted(source_table::detail, "_detailed", detail_from);
        a.push_back({"domain", source_table::detail, "stats_by_domain_detailed",
                     "SELECT recipient_domain AS domain," + counted + detail_from +
                         "GROUP BY recipient_domain ORDER BY sum(events) DESC, recipient_domain LIMIT 1000",
                     {}});
        a.push_back({"domain", source_table::domain_totals, "stats_by_domain",
                     "SELECT recipient_domain AS domain," + by_domain_measures + domain_totals_from +
                         "GROUP BY recipient_domain\n"
                         "ORDER BY sum(delivered + hard_bounces + soft_bounces + blocks + deferrals + drops + complaints) DESC, "
                         "recipient_domain LIMIT 1000",
                     {}});
        a.push_back({"day", source_table::domain_totals, "stats_by_day_for_domain",
                     "SELECT to_char(day, 'YYYY-MM-DD') AS day," + by_domain_measures + domain_totals_from + "GROUP BY day ORDER BY day", {}});
        for (auto& s : a) s.q = {s.name, s.text};
        return a;
    }();
    return all;
}

source_table
table_for(std::string_view group, stats_filters const& given) noexcept
{
    bool const beyond_domain = given.provider || given.source || given.reason;
    if (!beyond_domain && (group == "domain" || (group == "day" && given.domain))) return source_table::domain_totals;
    if (!given.domain && group != "domain") return source_table::totals;
    return source_table::detail;
}

}  // namespace

query const*
stats_by(std::string_view group, stats_filters const& given) noexcept
{
    auto const table = table_for(group, given);
    for (auto const& s : stats_queries())
        if (s.group == group && s.table == table) return &s.q;
    return nullptr;
}

std::vector<query const*>
stats_statements()
{
    std::vector<query const*> out;
    for (auto const& s : stats_queries()) out.push_back(&s.q);
    return out;
}

// Their optional filters ("" or a value) make PostgreSQL's generic plan
// estimate one matching row: after five calls a prepared statement could
// switch to a plan 2-100 times slower (docs/performance-read-api.md). Planning
// these per call costs well under a millisecond; the lookups stay cached.
// A custom plan is made for the parameters and the tables' current size on
// every call, so it needs none of the session's guard against stale generic
// plans (store/session.hpp): the stats may scan their rollup's rows for the
// days asked, which is cheaper than reading them through an index.
query const force_custom_plan{"force_custom_plan",
    "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL enable_seqscan = on"};

bool
plan_per_call(query const& q) noexcept
{
    if (q.name == soft_bounces_window.name || q.name == soft_bounces_streak.name || q.name == notices_list.name) return true;
    for (auto const& s : stats_queries())
        if (q.name == s.q.name) return true;
    return false;
}

}  // namespace rebound::store::sql
