-- 005: small rollups for GET /v1/stats, and indexes for domain filters.
--
-- daily_stats keeps one row per day × provider × source × domain × type ×
-- reason × severity × writer slot: tens of thousands of rows a day at a
-- million recipients, too many to aggregate 30 days of them within the API's
-- 200 ms (docs/performance-read-api.md). The two tables below are the same
-- counts with the domain dropped, and with everything but the domain dropped.
-- The ingest transaction keeps them next to daily_stats (store/queries.cpp,
-- upsert_daily_totals and upsert_daily_domain_totals), per writer slot like
-- daily_stats so concurrent writers never update one row, and like it they
-- are never pruned. store/queries_read.cpp picks the smallest table that can
-- answer a request; daily_stats stays for the filter combinations neither
-- rollup keeps (a domain together with a provider, source or reason).

-- Grouping by day, provider, source or reason, without a domain filter.
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

-- Grouping by domain, or by day for one domain, without provider, source or
-- reason filters. The stats API's measures are columns, so a day of a domain
-- is one row per slot rather than one per type × reason × provider.
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

-- One domain's days, without reading every domain of those days.
CREATE INDEX daily_domain_totals_domain ON daily_domain_totals (recipient_domain, day);

-- The measures are classified exactly as the stats statements classify
-- daily_stats rows, so the answers do not change with the table they come from.
INSERT INTO daily_totals (day, provider, source, event_type, reason, severity, slot, events)
SELECT day, provider, source, event_type, reason, severity, slot, sum(events)
FROM daily_stats
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO daily_domain_totals (day, recipient_domain, slot, delivered, hard_bounces, soft_bounces, blocks,
                                 deferrals, drops, complaints)
SELECT day, recipient_domain, slot,
       coalesce(sum(events) FILTER (WHERE event_type = 'delivered'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity = 'hard'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'bounce' AND severity <> 'hard'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'block'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'deferred'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'drop'), 0),
       coalesce(sum(events) FILTER (WHERE event_type = 'complaint'), 0)
FROM daily_stats
GROUP BY 1, 2, 3;

-- A domain with a provider, source or reason filter still reads daily_stats:
-- only that domain's rows of the period, not the whole period.
CREATE INDEX daily_stats_domain_day ON daily_stats (recipient_domain, day);

-- Recurring soft bounces of one domain, in list order (last_soft_at DESC,
-- recipient DESC): a small domain no longer walks every candidate of the
-- window, and a domain with a correlated reason filter no longer sorts all of
-- the domain's rows.
CREATE INDEX recipient_state_domain_last_soft ON recipient_state (recipient_domain, last_soft_at DESC, recipient DESC)
    WHERE last_soft_at IS NOT NULL;
