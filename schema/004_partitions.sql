-- 004: raw events partitioned by month (UTC), so retention is a DROP TABLE
-- instead of a DELETE that bloats the table and the WAL.
--
-- The partition key is occurred_at, which an ESP repeats unchanged in every
-- retry of an event, so the de-duplication key (provider, provider_event_id,
-- occurred_at) still catches a retry that arrives days later, in another
-- month: it lands in the same partition as the original. Events dated outside
-- the partitions that exist (a replay from long ago, a sender with a wrong
-- clock) wait in events_default instead of failing the batch; maintenance
-- moves them into their month once that partition is made.
--
-- Daily rollups (daily_stats) and recipient_state are separate tables and are
-- never pruned.

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_provider_provider_event_id_key TO events_unpartitioned_dedup;
ALTER SEQUENCE events_id_seq RENAME TO events_unpartitioned_id_seq;
DROP INDEX events_recipient_time, events_user_ref, events_occurred_at, events_soft_by_recipient;

CREATE TABLE events (
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    provider           text        NOT NULL,
    source             text        NOT NULL DEFAULT '',
    provider_event_id  text        NOT NULL,
    event_type         text        NOT NULL CHECK (event_type IN ('deferred','bounce','block','drop','delivered','complaint')),
    recipient          text        NOT NULL,
    recipient_domain   text        NOT NULL,
    occurred_at        timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    smtp_code          smallint,
    enhanced_status    text,
    diagnostic         text,
    esp_message_id     text,
    esp_class          text,
    esp_type           text,
    remote_mta         text,
    user_ref           text,
    reason             text,
    severity           text CHECK (severity IN ('soft','hard')),
    classifier_version integer     NOT NULL DEFAULT 0,
    raw                json        NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at),
    CONSTRAINT events_dedup UNIQUE (provider, provider_event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Makes the partition of the UTC month containing `month`; false if it
-- exists. Rows of that month already waiting in events_default move into it
-- first, since a default partition may not overlap a new one.
CREATE FUNCTION rebound_create_event_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    lo timestamptz := first::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    name text := 'events_p' || to_char(first, 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', name) USING lo, hi;
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    RETURN true;
END $$;

-- One maintenance pass: drop the months older than `keep_months` whole months
-- before the current one (0 keeps everything), with the rejected events
-- received before then, then make the partitions of
-- the current month, the next `months_ahead` months, and any month waiting in
-- events_default within that span. Serialised across instances.
CREATE FUNCTION rebound_maintain_event_partitions(months_ahead integer, keep_months integer,
                                                  OUT created integer, OUT dropped integer, OUT pruned_default bigint)
LANGUAGE plpgsql AS $$
DECLARE
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    cutoff date := CASE WHEN keep_months > 0 THEN (this_month - make_interval(months => keep_months))::date END;
    part record;
    m date;
BEGIN
    PERFORM pg_advisory_xact_lock(7260633115362);
    created := 0;
    dropped := 0;
    pruned_default := 0;
    IF cutoff IS NOT NULL THEN
        FOR part IN
            SELECT c.relname, to_date(substr(c.relname, 9), 'YYYY_MM') AS first
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{4}_[0-9]{2}$'
        LOOP
            IF part.first < cutoff THEN
                EXECUTE format('DROP TABLE %I', part.relname);
                dropped := dropped + 1;
            END IF;
        END LOOP;
        DELETE FROM events_default WHERE occurred_at < cutoff::timestamp AT TIME ZONE 'UTC';
        GET DIAGNOSTICS pruned_default = ROW_COUNT;
        -- Raw payloads that could not be normalised expire with the events.
        DELETE FROM rejected_events WHERE received_at < cutoff::timestamp AT TIME ZONE 'UTC';
    END IF;
    FOR m IN
        SELECT generate_series(this_month, (this_month + make_interval(months => months_ahead))::date, interval '1 month')::date
        UNION
        SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date FROM events_default
        WHERE occurred_at < (this_month + make_interval(months => months_ahead + 1))::timestamp AT TIME ZONE 'UTC'
          AND (cutoff IS NULL OR occurred_at >= cutoff::timestamp AT TIME ZONE 'UTC')
    LOOP
        IF rebound_create_event_partition(m) THEN
            created := created + 1;
        END IF;
    END LOOP;
END $$;

-- The existing rows go into their months; then the old table goes.
SELECT rebound_create_event_partition(m)
FROM (SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS m FROM events_unpartitioned) months;

INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM events_unpartitioned;
SELECT setval(pg_get_serial_sequence('events', 'id'), coalesce((SELECT max(id) FROM events), 0) + 1, false);
DROP TABLE events_unpartitioned;

SELECT rebound_maintain_event_partitions(3, 0);

CREATE INDEX events_recipient_time ON events (recipient, occurred_at);
CREATE INDEX events_user_ref ON events (user_ref, occurred_at) WHERE user_ref IS NOT NULL;
CREATE INDEX events_occurred_at ON events USING brin (occurred_at);
CREATE INDEX events_soft_by_recipient ON events (recipient, occurred_at) WHERE severity = 'soft';
