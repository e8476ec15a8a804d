-- 008: byte order ("C") for the text that rebound keys, groups and sorts on.
--
-- Addresses, domains, ESP ids and the vocabulary columns are identifiers,
-- never words ordered for a reader. With a database created in a
-- linguistic locale (en_US.UTF-8, or even C.UTF-8) every btree comparison,
-- GROUP BY and window sort on them went through strcoll, and PostgreSQL
-- gives such collations no abbreviated sort keys. "C" compares with memcmp:
-- in alternating runs of the writer's own SQL (rebound_ceiling, 700-row
-- transactions, docs/performance.md) the COPY + merge cost 12 % less
-- PostgreSQL CPU per event and the whole batch 4 % less. Order only changes
-- for non-ASCII text, where byte order is also what keeps keyset pagination
-- the same on every server whatever its locale.
--
-- Every table that is joined with these has the same collation on the
-- joined columns: a comparison between two different column collations
-- cannot use either side's index. Parameters and the writer's staging
-- tables need no change: a column's "C" wins over the default collation of
-- the other side. Monthly partitions made later copy the collations
-- (LIKE events). Each column's indexes are rebuilt; rows are not rewritten.
--
-- On a large events table that rebuild holds an exclusive lock on events
-- for as long as a REINDEX of those indexes takes: ingest waits (beyond
-- queue_limit the ESPs get 503 and retry), so apply it in a quiet hour
-- (docs/operations.md, "Upgrade").

ALTER TABLE events
    ALTER COLUMN provider          TYPE text COLLATE "C",
    ALTER COLUMN source            TYPE text COLLATE "C",
    ALTER COLUMN provider_event_id TYPE text COLLATE "C",
    ALTER COLUMN event_type        TYPE text COLLATE "C",
    ALTER COLUMN recipient         TYPE text COLLATE "C",
    ALTER COLUMN recipient_domain  TYPE text COLLATE "C",
    ALTER COLUMN enhanced_status   TYPE text COLLATE "C",
    ALTER COLUMN esp_message_id    TYPE text COLLATE "C",
    ALTER COLUMN esp_class         TYPE text COLLATE "C",
    ALTER COLUMN esp_type          TYPE text COLLATE "C",
    ALTER COLUMN user_ref          TYPE text COLLATE "C",
    ALTER COLUMN reason            TYPE text COLLATE "C",
    ALTER COLUMN severity          TYPE text COLLATE "C";

ALTER TABLE recipient_state
    ALTER COLUMN recipient        TYPE text COLLATE "C",
    ALTER COLUMN recipient_domain TYPE text COLLATE "C",
    ALTER COLUMN user_ref         TYPE text COLLATE "C",
    ALTER COLUMN provider         TYPE text COLLATE "C",
    ALTER COLUMN source           TYPE text COLLATE "C",
    ALTER COLUMN last_event_type  TYPE text COLLATE "C",
    ALTER COLUMN last_soft_reason TYPE text COLLATE "C",
    ALTER COLUMN hard_reason      TYPE text COLLATE "C";

ALTER TABLE notices
    ALTER COLUMN recipient        TYPE text COLLATE "C",
    ALTER COLUMN recipient_domain TYPE text COLLATE "C",
    ALTER COLUMN user_ref         TYPE text COLLATE "C",
    ALTER COLUMN state            TYPE text COLLATE "C",
    ALTER COLUMN reason           TYPE text COLLATE "C",
    ALTER COLUMN resolution       TYPE text COLLATE "C";

ALTER TABLE daily_stats
    ALTER COLUMN provider         TYPE text COLLATE "C",
    ALTER COLUMN source           TYPE text COLLATE "C",
    ALTER COLUMN recipient_domain TYPE text COLLATE "C",
    ALTER COLUMN event_type       TYPE text COLLATE "C",
    ALTER COLUMN reason           TYPE text COLLATE "C",
    ALTER COLUMN severity         TYPE text COLLATE "C";

ALTER TABLE daily_totals
    ALTER COLUMN provider   TYPE text COLLATE "C",
    ALTER COLUMN source     TYPE text COLLATE "C",
    ALTER COLUMN event_type TYPE text COLLATE "C",
    ALTER COLUMN reason     TYPE text COLLATE "C",
    ALTER COLUMN severity   TYPE text COLLATE "C";

ALTER TABLE daily_domain_totals
    ALTER COLUMN recipient_domain TYPE text COLLATE "C";

ALTER TABLE rejected_events
    ALTER COLUMN provider TYPE text COLLATE "C",
    ALTER COLUMN source   TYPE text COLLATE "C",
    ALTER COLUMN why      TYPE text COLLATE "C";

ALTER TABLE provider_notices
    ALTER COLUMN provider TYPE text COLLATE "C",
    ALTER COLUMN source   TYPE text COLLATE "C",
    ALTER COLUMN kind     TYPE text COLLATE "C";
