-- Seeds a migrated rebound database for the read-API benchmark (issue 5):
-- :events events for :recipients recipients over the last :days days, across
-- :domains domains and five providers, then derives recipient_state,
-- notices (+ history) and daily_stats from those events the way the ingest
-- path would, the stats rollups (daily_totals, daily_domain_totals) from
-- daily_stats, and runs VACUUM ANALYZE.
--
--   psql -X -v events=10000000 -v recipients=1000000 -v days=60 -v domains=2000 \
--        -v seed=0.42 -f loadtest/query_bench/seed.sql
--
-- Everything is generated inside PostgreSQL (INSERT ... SELECT from
-- generate_series); random() is seeded and parallel query is off, so a
-- given set of parameters gives the same data (times are relative to now()).
--
-- The shape, per recipient class (class = recipient number mod 100):
--   80 %  healthy: 96.5 % delivered, the rest occasional deferrals, soft
--         bounces and blocks;
--   12 %  a soft problem from a time t (mailbox full, expired, blocked, rate
--         limited, ...), 88 % soft failures from then on, 30 % recover after
--         3-20 days; they also receive an extra 25 % of all traffic (retries),
--         so recurring soft bounces exist in every window;
--    5 %  the address dies at t: hard bounces (userunknown, hostunknown,
--         hasmoved, notaccept) and then ESP drops; 8 % of them come back
--         (a later delivery resolves the notice);
--    1 %  complain at t (complaint, then drops);
--    2 %  flaky: 25 % blocks (blocked / badreputation).
-- Traffic per recipient is skewed (recipient n is picked with density
-- ~ n^-0.23), domains are skewed (gmail.com 28 %, nine more big ones, then a
-- power-law tail), 8 % of recipients have no user_ref and 7 % share one with
-- another address. Events are inserted in time order, as the service would.
\set ON_ERROR_STOP on
\timing on
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;   -- one random() stream (reproducible) and order-preserving hash joins
SET work_mem = '1GB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;

\echo '== seed: parameters and helper tables'
DROP TABLE IF EXISTS seed_param, seed_domain, seed_reason, seed_rcpt, seed_ev, seed_state, seed_ddl;
SELECT setseed(:seed);

CREATE UNLOGGED TABLE seed_param AS
SELECT date_trunc('second', now()) AS t_end,
       date_trunc('second', now()) - make_interval(days => :days) AS t_start;

CREATE UNLOGGED TABLE seed_domain AS
SELECT g AS id,
       CASE g WHEN 0 THEN 'gmail.com' WHEN 1 THEN 'yahoo.co.jp' WHEN 2 THEN 'outlook.com' WHEN 3 THEN 'icloud.com'
              WHEN 4 THEN 'docomo.ne.jp' WHEN 5 THEN 'ezweb.ne.jp' WHEN 6 THEN 'hotmail.com'
              WHEN 7 THEN 'softbank.ne.jp' WHEN 8 THEN 'yahoo.com' WHEN 9 THEN 'nifty.com'
              ELSE 'mail' || g || '.example.' || (ARRAY['com', 'jp', 'net', 'org', 'co.jp'])[1 + g % 5] END AS name
FROM generate_series(0, :domains - 1) g;

-- What the ESP reported for each reason ('' = delivered).
CREATE UNLOGGED TABLE seed_reason (reason text PRIMARY KEY, smtp_code smallint, enhanced_status text, diagnostic text, esp_class text);
INSERT INTO seed_reason VALUES
 ('',                250, '2.0.0',  '250 2.0.0 OK  1700000000 d9443c01a7336-21f2d3e8a1bsi123456.345 - gsmtp', NULL),
 ('mailboxfull',     452, '4.2.2',  '452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp', 'Mailbox Unavailable'),
 ('expired',         451, '4.4.7',  '451 4.4.7 Message delayed: retry timeout exceeded', 'Technical'),
 ('ratelimited',     421, '4.7.0',  '421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints', 'Frequency or Volume Too High'),
 ('systemerror',     451, '4.3.0',  '451 4.3.0 Temporary system failure. Please try again later', 'Technical'),
 ('networkerror',    421, '4.4.2',  '421 4.4.2 Connection timed out after 300 seconds', 'Technical'),
 ('systemfull',      452, '4.3.1',  '452 4.3.1 Insufficient system storage', 'Technical'),
 ('contenterror',    554, '5.6.0',  '554 5.6.0 Message content rejected', 'Content'),
 ('blocked',         554, '5.7.1',  '554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org', 'Reputation'),
 ('badreputation',   550, '5.7.1',  '550 5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked', 'Reputation'),
 ('spamdetected',    550, '5.7.1',  '550 5.7.1 Message rejected as spam by Content Filtering', 'Content'),
 ('policyviolation', 550, '5.7.1',  '550 5.7.1 Rejected by local policy', 'Reputation'),
 ('rejected',        550, '5.7.1',  '550 5.7.1 Recipient address rejected: Access denied', 'Unclassified'),
 ('userunknown',     550, '5.1.1',  '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient''s email address for typos', 'Invalid Address'),
 ('hostunknown',     550, '5.1.2',  '550 5.1.2 Host unknown (Name server: host not found)', 'Invalid Address'),
 ('hasmoved',        550, '5.1.6',  '550 5.1.6 Recipient address has moved; no forwarding address', 'Invalid Address'),
 ('notaccept',       556, '5.1.10', '556 5.1.10 Recipient address has null MX', 'Invalid Address'),
 ('suppressed',      NULL, NULL,    'Bounced Address', NULL),
 ('feedback',        NULL, NULL,    NULL, NULL);

\echo '== seed: recipients'
CREATE UNLOGGED TABLE seed_rcpt AS
SELECT x.r,
       CASE WHEN x.r % 100 < 80 THEN 0 WHEN x.r % 100 < 92 THEN 1 WHEN x.r % 100 < 97 THEN 2
            WHEN x.r % 100 < 98 THEN 3 ELSE 4 END AS cls,
       (ARRAY['taro', 'hanako', 'info', 'yuki', 'k.sato', 'm-tanaka', 'contact', 'j.smith'])[1 + x.r % 8]
           || '.' || x.r || '@' || d.name AS recipient,
       d.name AS recipient_domain, d.id AS dom_id,
       CASE WHEN x.u3 < .08 THEN NULL WHEN x.u3 < .15 AND x.r > 1 THEN 'user-' || (x.r - 1) ELSE 'user-' || x.r END AS user_ref,
       -- when the class's trouble starts (about 9 % only after the end: not yet)
       p.t_start + (p.t_end - p.t_start) * (x.u1 * 1.1) AS t_x,
       CASE WHEN x.u4 < .3 THEN p.t_start + (p.t_end - p.t_start) * (x.u1 * 1.1) + interval '1 day' * (3 + 17 * x.u5)
            ELSE 'infinity' END AS t_rec,
       x.u4 < .08 AS revives,
       (ARRAY['userunknown', 'hostunknown', 'hasmoved', 'notaccept'])[1 + width_bucket(x.u2, ARRAY[.70, .85, .90])] AS dead_reason,
       (ARRAY['bounce:mailboxfull', 'bounce:expired', 'block:blocked', 'deferred:ratelimited', 'deferred:systemerror',
              'block:policyviolation', 'block:spamdetected', 'bounce:rejected'])
           [1 + width_bucket(x.u2, ARRAY[.45, .60, .70, .78, .85, .90, .95])] AS trouble_a,
       (ARRAY['deferred:mailboxfull', 'bounce:expired', 'block:blocked', 'deferred:ratelimited', 'deferred:systemerror',
              'block:policyviolation', 'block:spamdetected', 'bounce:rejected'])
           [1 + width_bucket(x.u2, ARRAY[.45, .60, .70, .78, .85, .90, .95])] AS trouble_b
FROM (SELECT r, random() AS ud, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5
      FROM generate_series(1, :recipients) r) x
CROSS JOIN seed_param p
JOIN seed_domain d ON d.id = CASE WHEN x.ud < .62
                                  THEN width_bucket(x.ud, ARRAY[.28, .36, .42, .47, .51, .54, .57, .59, .61])
                                  ELSE least(:domains - 1, 10 + floor((:domains - 10) * power((x.ud - .62) / .38, 2))::int) END;
ALTER TABLE seed_rcpt ADD PRIMARY KEY (r);

\echo '== seed: events (narrow, in time order)'
CREATE UNLOGGED TABLE seed_ev AS
SELECT g.i, g.r, g.t, split_part(k.k, ':', 1) AS event_type, NULLIF(split_part(k.k, ':', 2), '') AS reason,
       CASE WHEN k.k LIKE 'deferred:%' OR k.k LIKE 'block:%' THEN 'soft'
            WHEN k.k LIKE 'bounce:%' THEN CASE WHEN split_part(k.k, ':', 2) IN ('userunknown', 'hostunknown', 'hasmoved', 'notaccept')
                                               THEN 'hard' ELSE 'soft' END END AS severity,
       (ARRAY['sendgrid', 'ses', 'mailgun', 'postmark', 'blastengine'])[1 + width_bucket(g.pv, ARRAY[.45, .70, .85, .95])] AS provider,
       CASE WHEN g.pv < .70 THEN CASE WHEN g.sv < .6 THEN 'transactional' ELSE 'marketing' END ELSE '' END AS source
FROM (SELECT i,
             CASE WHEN random() < .25   -- a recipient with a soft problem (class 1)
                  THEN floor(power(random(), 1.3) * (:recipients / 100))::int * 100 + 80 + floor(random() * 12)::int
                  ELSE 1 + floor(:recipients * power(random(), 1.3))::int END AS r,
             p.t_start + (p.t_end - p.t_start) * ((i - random()) / :events) AS t,
             random() AS u, random() AS v, random() AS w, random() AS pv, random() AS sv
      FROM generate_series(1, :events) i CROSS JOIN seed_param p) g
JOIN seed_rcpt c ON c.r = g.r
CROSS JOIN LATERAL (SELECT CASE
    WHEN c.cls = 2 AND g.t >= c.t_x AND NOT (c.revives AND g.t >= c.t_x + interval '7 days')
        THEN CASE WHEN g.u < .6 THEN 'bounce:' || c.dead_reason ELSE 'drop:suppressed' END
    WHEN c.cls = 1 AND g.t >= c.t_x AND g.t < c.t_rec
        THEN CASE WHEN g.u < .12 THEN 'delivered:' WHEN g.v < .1 THEN 'deferred:ratelimited'
                  WHEN g.w < .5 THEN c.trouble_a ELSE c.trouble_b END
    WHEN c.cls = 3 AND g.t >= c.t_x
        THEN CASE WHEN g.u < .2 THEN 'complaint:feedback' ELSE 'drop:suppressed' END
    WHEN c.cls = 4 AND g.u >= .75
        THEN CASE WHEN g.v < .7 THEN 'block:blocked' ELSE 'block:badreputation' END
    WHEN g.u < .965 THEN 'delivered:'
    WHEN g.u < .99 THEN (ARRAY['deferred:ratelimited', 'deferred:systemerror', 'deferred:networkerror', 'deferred:mailboxfull'])[1 + floor(g.v * 4)::int]
    WHEN g.u < .997 THEN (ARRAY['bounce:mailboxfull', 'bounce:systemfull', 'bounce:contenterror', 'bounce:expired'])[1 + floor(g.v * 4)::int]
    ELSE 'block:blocked' END AS k) k;

\echo '== seed: drop the seeded tables'' indexes (rebuilt after loading)'
CREATE UNLOGGED TABLE seed_ddl AS
SELECT c.conrelid::regclass::text AS tbl, c.conname::text AS name, 'c' AS kind,
       CASE c.contype WHEN 'f' THEN 2 ELSE 1 END AS ord,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) AS ddl
FROM pg_constraint c
WHERE c.conrelid IN ('events'::regclass, 'recipient_state'::regclass, 'notices'::regclass,
                     'notice_history'::regclass, 'daily_stats'::regclass)
  AND c.contype IN ('p', 'u', 'f')
UNION ALL
-- A partitioned table's index prints as CREATE INDEX ... ON ONLY, which would
-- leave it invalid (no partition indexes); rebuild it on every partition.
SELECT i.indrelid::regclass::text, ix.relname::text, 'i', 3, replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')
FROM pg_index i JOIN pg_class ix ON ix.oid = i.indexrelid
WHERE i.indrelid IN ('events'::regclass, 'recipient_state'::regclass, 'notices'::regclass,
                     'notice_history'::regclass, 'daily_stats'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'));
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, name) FROM seed_ddl WHERE kind = 'c' ORDER BY ord DESC \gexec
SELECT format('DROP INDEX %I', name) FROM seed_ddl WHERE kind = 'i' \gexec

\echo '== seed: monthly partitions of events (when schema/004 has partitioned it)'
-- Without them the seeded months would all land in events_default.
SELECT format('SELECT rebound_create_event_partition(%L::date)', m::date)
FROM seed_param p,
     generate_series(date_trunc('month', p.t_start AT TIME ZONE 'UTC'), p.t_end AT TIME ZONE 'UTC', interval '1 month') m
WHERE to_regproc('rebound_create_event_partition') IS NOT NULL \gexec

\echo '== seed: events'
-- TRUNCATE in the same transaction: with wal_level=minimal the load skips WAL.
BEGIN;
TRUNCATE events;
INSERT INTO events (id, provider, source, provider_event_id, event_type, recipient, recipient_domain, occurred_at,
                    received_at, smtp_code, enhanced_status, diagnostic, esp_message_id, esp_class, esp_type,
                    remote_mta, user_ref, reason, severity, classifier_version, raw)
OVERRIDING SYSTEM VALUE
SELECT e.i, e.provider, e.source, m.peid, e.event_type, c.recipient, c.recipient_domain, e.t,
       e.t + interval '1 millisecond' * (200 + (e.i::bigint * 7919) % 30000),
       x.smtp_code, x.enhanced_status, x.diagnostic, m.msgid, x.esp_class,
       CASE e.provider WHEN 'sendgrid' THEN CASE e.event_type WHEN 'block' THEN 'blocked' WHEN 'bounce' THEN 'bounce' END
                       WHEN 'ses' THEN CASE e.severity WHEN 'hard' THEN 'Permanent' WHEN 'soft' THEN 'Transient' END END,
       CASE WHEN e.event_type NOT IN ('drop', 'complaint') THEN 'mx' || (1 + e.i % 3) || '.' || c.recipient_domain END,
       c.user_ref, e.reason, e.severity, 1,
       ('{"email":"' || c.recipient || '","event":"' || e.event_type || '","timestamp":' || extract(epoch FROM e.t)::bigint
        || ',"sg_event_id":"' || m.peid || '","sg_message_id":"' || m.msgid || '"'
        || coalesce(',"reason":"' || x.diagnostic || '","status":"' || x.enhanced_status || '"', '')
        || ',"category":["' || coalesce(NULLIF(e.source, ''), 'default') || '"]'
        || coalesce(',"user_id":"' || c.user_ref || '"', '')
        || ',"ip":"192.0.2.' || (e.i % 250) || '","tls":1}')::json
FROM seed_ev e
JOIN seed_rcpt c ON c.r = e.r
LEFT JOIN seed_reason x ON x.reason = coalesce(e.reason, '')
CROSS JOIN LATERAL (SELECT lpad(to_hex(hashint4(e.i)), 8, '0') || lpad(to_hex(e.i), 8, '0') || to_hex(hashint4(-e.i)) AS peid,
                           to_hex(hashint4(e.i / 3)) || to_hex(e.i / 3) || '.filter0001.' || (e.i % 100000) || '.0' AS msgid) m;
COMMIT;
SELECT setval(pg_get_serial_sequence('events', 'id'), :events);

\echo '== seed: recipient_state (the ingest semantics, set-wise)'
-- Rows sorted by (recipient, time): "latest" values are the last array
-- element; the streak counts soft failures after the newest delivery.
CREATE UNLOGGED TABLE seed_state AS
SELECT e.r,
       max(e.t) AS last_event_at,
       (array_agg(e.event_type))[count(*)] AS last_event_type,
       (array_agg(e.provider))[count(*)] AS provider,
       (array_agg(e.source))[count(*)] AS source,
       max(e.t) FILTER (WHERE e.event_type = 'delivered') AS last_delivered_at,
       count(*) FILTER (WHERE e.severity = 'soft' AND e.t > coalesce(e.ld, '-infinity')) AS soft_streak,
       min(e.t) FILTER (WHERE e.severity = 'soft' AND e.t > coalesce(e.ld, '-infinity')) AS streak_started_at,
       min(e.t) FILTER (WHERE e.severity = 'soft') AS first_soft_at,
       max(e.t) FILTER (WHERE e.severity = 'soft') AS last_soft_at,
       (array_agg(e.reason) FILTER (WHERE e.severity = 'soft'))[count(*) FILTER (WHERE e.severity = 'soft')] AS last_soft_reason,
       max(e.t) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard') AS hard_bounced_at,
       (array_agg(e.reason) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard'))
           [count(*) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard')] AS hard_reason,
       -- the notice: opened by the first address-killing bounce (after the
       -- last delivery if it is still open; resolved by a later delivery)
       min(e.t) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard') AS first_dead_at,
       min(e.t) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard' AND e.t > coalesce(e.ld, '-infinity')) AS open_dead_at,
       (array_agg(e.reason) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard'))[1] AS first_dead_reason,
       max(e.t) FILTER (WHERE e.event_type = 'complaint') AS complained_at
FROM (SELECT s.*, max(s.t) FILTER (WHERE s.event_type = 'delivered')
                      OVER (PARTITION BY s.r ORDER BY s.t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS ld
      FROM seed_ev s) e
GROUP BY e.r;

BEGIN;
TRUNCATE recipient_state;
INSERT INTO recipient_state (recipient, recipient_domain, user_ref, provider, source, last_event_at, last_event_type,
                             last_delivered_at, soft_streak, streak_started_at, first_soft_at, last_soft_at,
                             last_soft_reason, hard_bounced_at, hard_reason, complained_at, updated_at)
SELECT c.recipient, c.recipient_domain, c.user_ref, s.provider, s.source, s.last_event_at, s.last_event_type,
       s.last_delivered_at, s.soft_streak, s.streak_started_at, s.first_soft_at, s.last_soft_at,
       s.last_soft_reason, s.hard_bounced_at, s.hard_reason, s.complained_at, s.last_event_at + interval '2 seconds'
FROM seed_state s JOIN seed_rcpt c ON c.r = s.r;
COMMIT;

\echo '== seed: notices and their history'
BEGIN;
TRUNCATE notices, notice_history;
-- A notice per address-killing bounce streak: resolved by a later delivery,
-- else open (pending, notified) or resolved because the user changed it.
INSERT INTO notices (recipient, recipient_domain, user_ref, state, reason, bounced_at, opened_at, notified_at,
                     resolved_at, resolution, updated_at)
SELECT c.recipient, c.recipient_domain, c.user_ref, v.state, s.first_dead_reason, v.bounced_at,
       v.bounced_at + interval '3 seconds',
       CASE WHEN v.state <> 'pending' AND v.resolution IS DISTINCT FROM 'delivered' THEN v.bounced_at + interval '1 day' END,
       CASE WHEN v.state = 'resolved' THEN coalesce(CASE WHEN v.resolution = 'delivered' THEN s.last_delivered_at END,
                                                    v.bounced_at + interval '2 days') END,
       v.resolution, s.last_event_at
FROM seed_state s
JOIN seed_rcpt c ON c.r = s.r
CROSS JOIN LATERAL (SELECT CASE WHEN s.open_dead_at IS NULL THEN 'resolved'
                                WHEN abs(hashint4(s.r)) % 100 < 60 THEN 'pending'
                                WHEN abs(hashint4(s.r)) % 100 < 88 THEN 'notified' ELSE 'resolved' END AS state,
                           CASE WHEN s.open_dead_at IS NULL THEN 'delivered'
                                WHEN abs(hashint4(s.r)) % 100 >= 88 THEN 'address_changed' END AS resolution,
                           coalesce(s.open_dead_at, s.first_dead_at) AS bounced_at) v
WHERE s.first_dead_at IS NOT NULL AND s.first_dead_reason IN ('userunknown', 'hostunknown', 'hasmoved', 'notaccept')
ORDER BY v.bounced_at;
INSERT INTO notice_history (notice_id, at, from_state, to_state, actor)
SELECT id, opened_at, NULL, 'pending', 'system:ingest' FROM notices
UNION ALL
SELECT id, notified_at, 'pending', 'notified', 'token:app' FROM notices WHERE notified_at IS NOT NULL
UNION ALL
SELECT id, resolved_at, CASE WHEN notified_at IS NOT NULL THEN 'notified' ELSE 'pending' END, 'resolved',
       CASE resolution WHEN 'delivered' THEN 'system:ingest' ELSE 'token:app' END
FROM notices WHERE state = 'resolved';
COMMIT;

\echo '== seed: daily_stats (two writer slots)'
BEGIN;
TRUNCATE daily_stats;
INSERT INTO daily_stats (day, provider, source, recipient_domain, event_type, reason, severity, slot, events)
SELECT a.day, a.provider, a.source, d.name, a.event_type, a.reason, a.severity, a.slot, a.n
FROM (SELECT (e.t AT TIME ZONE 'UTC')::date AS day, e.provider, e.source, c.dom_id, e.event_type,
             coalesce(e.reason, '') AS reason, coalesce(e.severity, '') AS severity, (e.r % 2)::smallint AS slot, count(*) AS n
      FROM seed_ev e JOIN seed_rcpt c ON c.r = e.r
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) a
JOIN seed_domain d ON d.id = a.dom_id
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8;
COMMIT;

\echo '== seed: daily_totals and daily_domain_totals from daily_stats'
-- The same INSERT ... SELECT as schema/005_rollups.sql's backfill (which
-- tests/integration/rollups_test.cpp checks against the ingest's upserts).
BEGIN;
TRUNCATE daily_totals, daily_domain_totals;
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
COMMIT;

\echo '== seed: rebuild constraints and indexes'
SELECT ddl FROM seed_ddl ORDER BY ord, tbl, name \gexec

\echo '== seed: clean up, VACUUM ANALYZE'
DROP TABLE seed_param, seed_domain, seed_reason, seed_rcpt, seed_ev, seed_state, seed_ddl;
RESET work_mem;
VACUUM (ANALYZE) events;
VACUUM (ANALYZE) recipient_state;
VACUUM (ANALYZE) notices;
VACUUM (ANALYZE) notice_history;
VACUUM (ANALYZE) daily_stats;
VACUUM (ANALYZE) daily_totals;
VACUUM (ANALYZE) daily_domain_totals;
