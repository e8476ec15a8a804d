-- Is the seeded recipient_state what the service itself would compute?
-- For a fixed sample of recipients, replays all their stored events through
-- the ingest path's own upsert_recipient_state (as one batch, from no state)
-- and compares every column but updated_at with the seeded row, then rolls
-- everything back.
--   psql -v upsert_file=<dir>/ingest/upsert_recipient_state.sql -f check_state.sql
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE qb_sample AS
SELECT recipient FROM recipient_state TABLESAMPLE SYSTEM (1) REPEATABLE (5) LIMIT 5000;
CREATE TEMP TABLE qb_before AS SELECT s.* FROM recipient_state s JOIN qb_sample USING (recipient);
DELETE FROM recipient_state WHERE recipient IN (SELECT recipient FROM qb_sample);
-- The ingest writer's batch table (store/queries.cpp, create_staging).
CREATE TEMP TABLE rebound_batch_new AS
SELECT provider, source, recipient, recipient_domain, user_ref, event_type, occurred_at, reason, severity
FROM events WHERE recipient IN (SELECT recipient FROM qb_sample);
\i :upsert_file
;
SELECT count(*) AS sampled_recipients,
       (SELECT count(*) FROM rebound_batch_new) AS replayed_events,
       count(*) FILTER (WHERE row(a.recipient_domain, a.user_ref, a.provider, a.source, a.last_event_at, a.last_event_type,
                                  a.last_delivered_at, a.soft_streak, a.streak_started_at, a.first_soft_at, a.last_soft_at,
                                  a.last_soft_reason, a.hard_bounced_at, a.hard_reason, a.complained_at)
                        IS DISTINCT FROM
                              row(b.recipient_domain, b.user_ref, b.provider, b.source, b.last_event_at, b.last_event_type,
                                  b.last_delivered_at, b.soft_streak, b.streak_started_at, b.first_soft_at, b.last_soft_at,
                                  b.last_soft_reason, b.hard_bounced_at, b.hard_reason, b.complained_at)) AS mismatched,
       count(*) FILTER (WHERE a.soft_streak > 0) AS with_streak
FROM qb_before b LEFT JOIN recipient_state a USING (recipient);
ROLLBACK;
