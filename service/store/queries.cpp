// The SQL behind queries.hpp. Tables are defined in schema/.
#include "store/queries.hpp"

namespace rebound::store::sql {

query const create_migrations_table{"create_migrations_table", R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))sql"};

query const applied_migrations{"applied_migrations", "SELECT version FROM schema_migrations ORDER BY version"};

query const record_migration{"record_migration", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

// Two instances starting together must not both apply a migration.
query const migration_lock{"migration_lock", "SELECT pg_advisory_xact_lock(7260633115361)"};

std::string_view const staging_table = "rebound_staging";
std::string_view const rejected_table = "rejected_events";

// Staging is text-typed and session-local: COPY stays cheap and casting
// happens once, set-wise, in merge_staged. The tables keep their rows past
// the commit; each batch deletes the previous one's first (clear_staging),
// since emptying them at every commit (ON COMMIT DELETE ROWS) cost more
// than the rest of a small transaction's fixed cost (store/batch_session.hpp).
// rebound_batch_new is sorted and grouped by every statement after the
// merge: its keys compare bytewise, as the tables they are written to do
// (schema/008_collate_c.sql).
query const create_staging{"create_staging", R"sql(
CREATE TEMP TABLE IF NOT EXISTS rebound_staging (
    seq                integer,
    provider           text,
    source             text,
    provider_event_id  text,
    event_type         text,
    recipient          text,
    recipient_domain   text,
    occurred_us        bigint,
    smtp_code          text,
    enhanced_status    text,
    diagnostic         text,
    esp_message_id     text,
    esp_class          text,
    esp_type           text,
    remote_mta         text,
    user_ref           text,
    reason             text,
    severity           text,
    classifier_version integer,
    raw                text
);
CREATE TEMP TABLE IF NOT EXISTS rebound_batch_new (
    provider          text COLLATE "C",
    provider_event_id text COLLATE "C",
    source            text COLLATE "C",
    recipient         text COLLATE "C",
    recipient_domain  text COLLATE "C",
    user_ref          text COLLATE "C",
    event_type        text COLLATE "C",
    occurred_at       timestamptz,
    reason            text COLLATE "C",
    severity          text COLLATE "C"
))sql"};

// For every session of the service's own (store/session.hpp says why). Two
// statements: run with exec, not prepared.
query const lookup_session_settings{"lookup_session_settings", "SET enable_seqscan = off; SET jit = off"};

query const clear_staging{"clear_staging", "DELETE FROM rebound_staging; DELETE FROM rebound_batch_new"};

// Autovacuum never visits temporary tables: without this, the deleted rows'
// space would not be reused and the tables would grow for the session's life.
query const vacuum_staging{"vacuum_staging", "VACUUM rebound_staging, rebound_batch_new"};

// Transaction-scoped: released by the commit. The first key namespaces
// rebound's locks away from any other advisory-lock user of the database.
// $1 is the batch's logical shards in ascending order, and unnest keeps that
// order, so two writers always lock in the same order and never deadlock; one
// statement instead of one round trip per shard.
query const lock_shards{"lock_shards", "SELECT count(pg_advisory_xact_lock(726063, shard)) FROM unnest($1::int[]) AS shard"};

// ON CONFLICT DO NOTHING also drops a second copy of the same event inside
// one batch. The inserted rows are remembered in rebound_batch_new, so the
// state update sees only new events and new_event_keys can tell each request
// how many of its events were new.
query const merge_staged{"merge_staged", R"sql(
WITH ins AS (
    INSERT INTO events (provider, source, provider_event_id, event_type, recipient, recipient_domain,
                        occurred_at, smtp_code, enhanced_status, diagnostic, esp_message_id, esp_class,
                        esp_type, remote_mta, user_ref, reason, severity, classifier_version, raw)
    SELECT provider, source, provider_event_id, event_type, recipient, recipient_domain,
           timestamptz 'epoch' + occurred_us * interval '1 microsecond',
           NULLIF(smtp_code, '')::smallint, NULLIF(enhanced_status, ''), NULLIF(diagnostic, ''),
           NULLIF(esp_message_id, ''), NULLIF(esp_class, ''), NULLIF(esp_type, ''), NULLIF(remote_mta, ''),
           NULLIF(user_ref, ''), NULLIF(reason, ''), NULLIF(severity, ''), classifier_version, raw::json
    FROM rebound_staging
    ORDER BY seq
    ON CONFLICT (provider, provider_event_id, occurred_at) DO NOTHING
    RETURNING provider, source, provider_event_id, recipient, recipient_domain, user_ref, event_type, occurred_at,
              reason, severity
)
INSERT INTO rebound_batch_new (provider, provider_event_id, source, recipient, recipient_domain, user_ref, event_type,
                               occurred_at, reason, severity)
SELECT provider, provider_event_id, source, recipient, recipient_domain, user_ref, event_type, occurred_at, reason,
       severity
FROM ins)sql"};

// The last statement of a batch's fold (store/batch_session.hpp): how many
// events the merge inserted. When that is all of the batch, or none, every
// request's count follows from it; only a batch with some duplicates asks
// for the keys, to credit them to the requests that sent them.
query const new_event_count{"new_event_count", "SELECT count(*) FROM rebound_batch_new"};
query const new_event_keys{"new_event_keys", "SELECT provider, provider_event_id FROM rebound_batch_new"};

// Folds the batch's new events into recipient_state. The writer holds the
// advisory locks of every recipient shard in the batch (lock_shards), so
// nothing else changes these rows between reading them here and writing them
// back, even with several rebound processes on one database.
//
// The streak counts soft failures after the newest delivery. Events arrive
// out of order, so:
//  - a soft failure older than the newest known delivery does not count;
//  - a delivery newer than the stored one resets the streak to the soft
//    failures after it; when older soft failures exist beyond it (a late
//    delivery in the middle of a streak) they are recounted from events;
//  - a delivery older than the stored one changes nothing.
//
// "The newest X" of a recipient comes from one sort of the batch: the row
// numbered 1 by time gives the newest event's type, provider and source,
// and the newest time of each kind (user reference, soft failure, hard
// bounce) is a window over the same partition, which needs no sort of its
// own; the kind's value is then the one at that time (the greatest, when
// two events share the microsecond). An ordered aggregate per column,
// (array_agg(x ORDER BY ...))[1], sorted each recipient's rows once per
// column and was about 40 % of the statement (PostgreSQL 15 has no
// presorted aggregates), and a row_number per kind one sort of the batch
// each. user_ref_at lets a late, older event leave a newer user reference
// alone, as the other "newest" columns do with their times.
query const upsert_recipient_state{"upsert_recipient_state", R"sql(
WITH b AS (
    SELECT n.*,
           max(n.occurred_at) FILTER (WHERE n.event_type = 'delivered') OVER (PARTITION BY n.recipient) AS batch_delivered_at,
           max(n.occurred_at) FILTER (WHERE n.user_ref IS NOT NULL) OVER (PARTITION BY n.recipient) AS newest_user_ref_at,
           max(n.occurred_at) FILTER (WHERE n.severity = 'soft') OVER (PARTITION BY n.recipient) AS newest_soft_at,
           max(n.occurred_at) FILTER (WHERE n.event_type = 'bounce' AND n.severity = 'hard')
               OVER (PARTITION BY n.recipient) AS newest_hard_at,
           row_number() OVER (PARTITION BY n.recipient ORDER BY n.occurred_at DESC) AS newest
    FROM rebound_batch_new n
), agg AS (
    SELECT b.recipient,
           min(b.recipient_domain) AS recipient_domain,
           max(b.user_ref) FILTER (WHERE b.user_ref IS NOT NULL AND b.occurred_at = b.newest_user_ref_at) AS user_ref,
           max(b.newest_user_ref_at) AS user_ref_at,
           max(b.occurred_at) AS last_event_at,
           max(b.event_type) FILTER (WHERE b.newest = 1) AS last_event_type,
           max(b.provider) FILTER (WHERE b.newest = 1) AS provider,
           max(b.source) FILTER (WHERE b.newest = 1) AS source,
           max(b.batch_delivered_at) AS batch_delivered_at,
           count(*) FILTER (WHERE b.severity = 'soft'
                              AND b.occurred_at > coalesce(greatest(s.last_delivered_at, b.batch_delivered_at), '-infinity')) AS new_soft,
           min(b.occurred_at) FILTER (WHERE b.severity = 'soft'
                              AND b.occurred_at > coalesce(greatest(s.last_delivered_at, b.batch_delivered_at), '-infinity')) AS new_soft_first,
           min(b.occurred_at) FILTER (WHERE b.severity = 'soft') AS batch_first_soft,
           max(b.occurred_at) FILTER (WHERE b.severity = 'soft') AS batch_last_soft,
           max(b.reason) FILTER (WHERE b.severity = 'soft' AND b.occurred_at = b.newest_soft_at) AS batch_soft_reason,
           max(b.occurred_at) FILTER (WHERE b.event_type = 'bounce' AND b.severity = 'hard') AS hard_at,
           max(b.reason) FILTER (WHERE b.event_type = 'bounce' AND b.severity = 'hard' AND b.occurred_at = b.newest_hard_at) AS hard_reason,
           max(b.occurred_at) FILTER (WHERE b.event_type = 'complaint') AS complained_at,
           s.last_delivered_at AS old_delivered,
           s.last_soft_at AS old_last_soft,
           s.soft_streak AS old_streak,
           s.streak_started_at AS old_streak_start
    FROM b LEFT JOIN LATERAL (
        -- OFFSET 0 keeps this a lookup per batch row whatever the planner
        -- believes: the staging tables never have statistics, and a hash join
        -- over a scan of all of recipient_state, which it picks when its
        -- estimates drift, costs O(table) per batch. And the session
        -- disables sequential scans (store/session.hpp) so that the lookup
        -- itself uses the primary key even in a generic plan made while the
        -- table was analyzed as empty, which scanned the whole table once
        -- per batch row.
        SELECT st.recipient, st.last_delivered_at, st.last_soft_at, st.soft_streak, st.streak_started_at
        FROM recipient_state st
        WHERE st.recipient = b.recipient
        OFFSET 0
    ) s ON true
    GROUP BY b.recipient, s.recipient, s.last_delivered_at, s.last_soft_at, s.soft_streak, s.streak_started_at
), calc AS (
    SELECT agg.*,
           (agg.batch_delivered_at > coalesce(agg.old_delivered, '-infinity')) IS TRUE AS delivery_advanced,
           (agg.old_last_soft > agg.batch_delivered_at) IS TRUE AS late_delivery
    FROM agg
), fin AS (
    -- The recounts are subqueries inside CASE so that only the rare late
    -- delivery reads events: as a lateral join, every row of the batch
    -- restarted a scan of each partition, about a tenth of the statement.
    -- Two lookups for those few rows, rather than one recount joined back,
    -- keep them index lookups whatever the planner guesses of the batch.
    SELECT c.*,
           CASE WHEN c.delivery_advanced AND c.late_delivery
                     THEN (SELECT count(*) FROM events e
                           WHERE e.recipient = c.recipient AND e.severity = 'soft' AND e.occurred_at > c.batch_delivered_at)
                WHEN c.delivery_advanced THEN c.new_soft
                ELSE coalesce(c.old_streak, 0) + c.new_soft END AS streak,
           CASE WHEN c.delivery_advanced AND c.late_delivery
                     THEN (SELECT min(e.occurred_at) FROM events e
                           WHERE e.recipient = c.recipient AND e.severity = 'soft' AND e.occurred_at > c.batch_delivered_at)
                WHEN c.delivery_advanced THEN c.new_soft_first
                ELSE least(c.old_streak_start, c.new_soft_first) END AS streak_start
    FROM calc c
)
INSERT INTO recipient_state AS s (recipient, recipient_domain, user_ref, user_ref_at, provider, source, last_event_at,
                                  last_event_type, last_delivered_at, soft_streak, streak_started_at, first_soft_at,
                                  last_soft_at, last_soft_reason, hard_bounced_at, hard_reason, complained_at, updated_at)
SELECT recipient, recipient_domain, user_ref, user_ref_at, provider, source, last_event_at, last_event_type, batch_delivered_at, streak,
       CASE WHEN streak > 0 THEN streak_start END, batch_first_soft, batch_last_soft, batch_soft_reason,
       hard_at, hard_reason, complained_at, now()
FROM fin
ORDER BY recipient
ON CONFLICT (recipient) DO UPDATE SET
    user_ref          = CASE WHEN EXCLUDED.user_ref_at >= s.user_ref_at IS NOT FALSE AND EXCLUDED.user_ref IS NOT NULL
                             THEN EXCLUDED.user_ref ELSE s.user_ref END,
    user_ref_at       = greatest(s.user_ref_at, EXCLUDED.user_ref_at),
    provider          = CASE WHEN EXCLUDED.last_event_at >= s.last_event_at THEN EXCLUDED.provider ELSE s.provider END,
    source            = CASE WHEN EXCLUDED.last_event_at >= s.last_event_at THEN EXCLUDED.source ELSE s.source END,
    last_event_type   = CASE WHEN EXCLUDED.last_event_at >= s.last_event_at THEN EXCLUDED.last_event_type ELSE s.last_event_type END,
    last_event_at     = greatest(s.last_event_at, EXCLUDED.last_event_at),
    last_delivered_at = greatest(s.last_delivered_at, EXCLUDED.last_delivered_at),
    soft_streak       = EXCLUDED.soft_streak,
    streak_started_at = EXCLUDED.streak_started_at,
    first_soft_at     = least(s.first_soft_at, EXCLUDED.first_soft_at),
    last_soft_reason  = CASE WHEN EXCLUDED.last_soft_at >= s.last_soft_at IS NOT FALSE AND EXCLUDED.last_soft_at IS NOT NULL
                             THEN EXCLUDED.last_soft_reason ELSE s.last_soft_reason END,
    last_soft_at      = greatest(s.last_soft_at, EXCLUDED.last_soft_at),
    hard_reason       = CASE WHEN EXCLUDED.hard_bounced_at >= s.hard_bounced_at IS NOT FALSE AND EXCLUDED.hard_bounced_at IS NOT NULL
                             THEN EXCLUDED.hard_reason ELSE s.hard_reason END,
    hard_bounced_at   = greatest(s.hard_bounced_at, EXCLUDED.hard_bounced_at),
    complained_at     = greatest(s.complained_at, EXCLUDED.complained_at),
    updated_at        = now())sql"};

// Counted per writer slot ($1), so two writers never update one row; rows
// are written in key order so writers of two processes cannot deadlock.
query const upsert_daily_stats{"upsert_daily_stats", R"sql(
INSERT INTO daily_stats AS d (day, provider, source, recipient_domain, event_type, reason, severity, slot, events)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, provider, source, recipient_domain, event_type,
       coalesce(reason, ''), coalesce(severity, ''), $1::smallint, count(*)
FROM rebound_batch_new
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (day, provider, source, recipient_domain, event_type, reason, severity, slot)
DO UPDATE SET events = d.events + EXCLUDED.events)sql"};

// The stats API's small rollups (schema/005_rollups.sql), kept with the same
// slot and key-order rules as daily_stats and counted the same way, so every
// stats answer is the same whichever table it comes from.
query const upsert_daily_totals{"upsert_daily_totals", R"sql(
INSERT INTO daily_totals AS d (day, provider, source, event_type, reason, severity, slot, events)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, provider, source, event_type,
       coalesce(reason, ''), coalesce(severity, ''), $1::smallint, count(*)
FROM rebound_batch_new
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (day, provider, source, event_type, reason, severity, slot)
DO UPDATE SET events = d.events + EXCLUDED.events)sql"};

query const upsert_daily_domain_totals{"upsert_daily_domain_totals", R"sql(
INSERT INTO daily_domain_totals AS d (day, recipient_domain, slot, delivered, hard_bounces, soft_bounces, blocks,
                                      deferrals, drops, complaints)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, recipient_domain, $1::smallint,
       count(*) FILTER (WHERE event_type = 'delivered'),
       count(*) FILTER (WHERE event_type = 'bounce' AND severity = 'hard'),
       count(*) FILTER (WHERE event_type = 'bounce' AND severity IS DISTINCT FROM 'hard'),
       count(*) FILTER (WHERE event_type = 'block'),
       count(*) FILTER (WHERE event_type = 'deferred'),
       count(*) FILTER (WHERE event_type = 'drop'),
       count(*) FILTER (WHERE event_type = 'complaint')
FROM rebound_batch_new
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (day, recipient_domain, slot) DO UPDATE SET
    delivered    = d.delivered + EXCLUDED.delivered,
    hard_bounces = d.hard_bounces + EXCLUDED.hard_bounces,
    soft_bounces = d.soft_bounces + EXCLUDED.soft_bounces,
    blocks       = d.blocks + EXCLUDED.blocks,
    deferrals    = d.deferrals + EXCLUDED.deferrals,
    drops        = d.drops + EXCLUDED.drops,
    complaints   = d.complaints + EXCLUDED.complaints)sql"};

// A hard bounce whose reason is one of $1 (the reasons that mean the
// address is dead, from the action table) opens a notice, unless a delivery
// newer than the bounce is already known. One open notice per address.
query const open_notices{"open_notices", R"sql(
WITH hb AS (
    SELECT DISTINCT ON (b.recipient) b.recipient, b.recipient_domain, b.user_ref, b.reason, b.occurred_at
    FROM rebound_batch_new b
    WHERE b.event_type = 'bounce' AND b.severity = 'hard' AND b.reason = ANY ($1::text[])
    ORDER BY b.recipient, b.occurred_at DESC
), opened AS (
    INSERT INTO notices (recipient, recipient_domain, user_ref, state, reason, bounced_at)
    SELECT hb.recipient, hb.recipient_domain, coalesce(hb.user_ref, s.user_ref), 'pending', hb.reason, hb.occurred_at
    FROM hb CROSS JOIN LATERAL (
        -- A primary-key lookup per bounce, whatever the statistics say (see
        -- upsert_recipient_state).
        SELECT st.user_ref, st.last_delivered_at FROM recipient_state st WHERE st.recipient = hb.recipient OFFSET 0
    ) s
    WHERE s.last_delivered_at IS NULL OR s.last_delivered_at < hb.occurred_at
    ORDER BY hb.recipient
    ON CONFLICT (recipient) WHERE state <> 'resolved' DO NOTHING
    RETURNING id
)
INSERT INTO notice_history (notice_id, from_state, to_state, actor)
SELECT id, NULL, 'pending', 'system:ingest' FROM opened)sql"};

// A delivery newer than the bounce proves the address works again.
query const resolve_notices_by_delivery{"resolve_notices_by_delivery", R"sql(
WITH delivered AS (
    SELECT recipient, max(occurred_at) AS at
    FROM rebound_batch_new WHERE event_type = 'delivered'
    GROUP BY recipient
), before AS (
    -- The open notice of each delivered recipient through the one-open-per-
    -- recipient index, and the notices to update by primary key: lookups per
    -- row, whatever the statistics say (see upsert_recipient_state).
    SELECT n.id, n.state
    FROM delivered d CROSS JOIN LATERAL (
        SELECT o.id, o.state FROM notices o
        WHERE o.recipient = d.recipient AND o.state <> 'resolved' AND o.bounced_at < d.at
        OFFSET 0
    ) n
    ORDER BY n.id
    FOR UPDATE OF n
), resolved AS (
    UPDATE notices n
    SET state = 'resolved', resolution = 'delivered', resolved_at = now(), updated_at = now()
    WHERE n.id = ANY (ARRAY(SELECT id FROM before))
    RETURNING n.id
)
INSERT INTO notice_history (notice_id, from_state, to_state, actor, note)
SELECT before.id, before.state, 'resolved', 'system:ingest', 'a later delivery succeeded'
FROM before JOIN resolved ON resolved.id = before.id)sql"};

// Attaching or dropping a partition takes a brief lock on events that
// queues behind a long ingest transaction and ahead of the next ones; giving
// up and trying again at the next pass is better than stalling ingest.
query const maintenance_lock_timeout{"maintenance_lock_timeout", "SET LOCAL lock_timeout = '5s'"};

// The function is defined in schema/004_partitions.sql.
query const maintain_partitions{"maintain_partitions",
    "SELECT created, dropped, pruned_default FROM rebound_maintain_event_partitions($1::int, $2::int)"};

query const readiness{"readiness", "SELECT coalesce(max(version), 0) FROM schema_migrations"};

}  // namespace rebound::store::sql
