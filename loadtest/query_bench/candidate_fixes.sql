-- Candidate fixes measured by `bench.py fixes` (FIXES=1 run.sh) in the
-- throwaway database only; nothing here is part of the schema. See
-- docs/performance-read-api.md, "Findings and recommended fixes".
\set ON_ERROR_STOP on
SET maintenance_work_mem = '512MB';

-- 1. Stats without a domain (group_by day, provider, source, reason): the
--    daily_stats counts without recipient_domain. ~270 rows a day instead of
--    ~33,000. Kept per writer slot like daily_stats.
CREATE TABLE daily_totals (
    day        date     NOT NULL,
    provider   text     NOT NULL,
    source     text     NOT NULL,
    event_type text     NOT NULL,
    reason     text     NOT NULL,
    severity   text     NOT NULL,
    slot       smallint NOT NULL,
    events     bigint   NOT NULL,
    PRIMARY KEY (day, provider, source, event_type, reason, severity, slot)
);
INSERT INTO daily_totals
SELECT day, provider, source, event_type, reason, severity, slot, sum(events)
FROM daily_stats GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- 2. Stats per domain (group_by domain, or a domain filter): one row per day,
--    domain and slot with the seven measures as columns. ~4,000 rows a day.
CREATE TABLE daily_domain_totals (
    day              date     NOT NULL,
    recipient_domain text     NOT NULL,
    slot             smallint NOT NULL,
    delivered        bigint   NOT NULL DEFAULT 0,
    hard_bounces     bigint   NOT NULL DEFAULT 0,
    soft_bounces     bigint   NOT NULL DEFAULT 0,
    blocks           bigint   NOT NULL DEFAULT 0,
    deferrals        bigint   NOT NULL DEFAULT 0,
    drops            bigint   NOT NULL DEFAULT 0,
    complaints       bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (day, recipient_domain, slot)
);
CREATE INDEX daily_domain_totals_domain ON daily_domain_totals (recipient_domain, day);
INSERT INTO daily_domain_totals
SELECT day, recipient_domain, slot,
       coalesce(sum(events) FILTER (WHERE event_type = 'delivered'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity = 'hard'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity <> 'hard'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'block'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'deferred'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'drop'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'complaint'), 0)
FROM daily_stats GROUP BY 1, 2, 3;

-- 3. A domain filter on daily_stats (combined with provider/source/reason
--    filters, which the rollups do not keep).
CREATE INDEX daily_stats_domain_day ON daily_stats (recipient_domain, day);

-- 4. Soft-bounce lists filtered by a small domain: candidates in list order
--    within the domain.
CREATE INDEX recipient_state_domain_last_soft ON recipient_state (recipient_domain, last_soft_at DESC, recipient DESC)
    WHERE last_soft_at IS NOT NULL;

VACUUM ANALYZE daily_totals;
VACUUM ANALYZE daily_domain_totals;
ANALYZE daily_stats;
ANALYZE recipient_state;
