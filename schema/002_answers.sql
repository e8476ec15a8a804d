-- 002: what the events are stored for: address-change notices, daily
-- rollups that outlive raw events, ESP notices (SNS subscriptions), and the
-- indexes behind the read API.

-- A hard bounce whose reason means the address is dead opens one notice per
-- address; the app shows it on the user's page (notified) until the user
-- changes the address or a later delivery succeeds (resolved).
CREATE TABLE notices (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient        text        NOT NULL,
    recipient_domain text        NOT NULL,
    user_ref         text,
    state            text        NOT NULL CHECK (state IN ('pending', 'notified', 'resolved')),
    reason           text        NOT NULL,
    bounced_at       timestamptz NOT NULL,
    opened_at        timestamptz NOT NULL DEFAULT now(),
    notified_at      timestamptz,
    resolved_at      timestamptz,
    resolution       text CHECK (resolution IN ('address_changed', 'delivered')),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX notices_one_open_per_recipient ON notices (recipient) WHERE state <> 'resolved';
CREATE INDEX notices_by_state ON notices (state, id);
CREATE INDEX notices_by_user ON notices (user_ref) WHERE user_ref IS NOT NULL;

-- Every state change, with its time and actor.
CREATE TABLE notice_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice_id  bigint      NOT NULL REFERENCES notices (id),
    at         timestamptz NOT NULL DEFAULT now(),
    from_state text,
    to_state   text        NOT NULL,
    actor      text        NOT NULL,
    note       text
);

CREATE INDEX notice_history_by_notice ON notice_history (notice_id, at);

-- Counts per UTC day, provider, source, domain, type, reason and severity,
-- kept in the ingest transaction so rates survive the pruning of raw events.
-- `slot` is the writer that owns the row: concurrent writers never update
-- the same row, so they never wait on each other here.
CREATE TABLE daily_stats (
    day              date     NOT NULL,
    provider         text     NOT NULL,
    source           text     NOT NULL,
    recipient_domain text     NOT NULL,
    event_type       text     NOT NULL,
    reason           text     NOT NULL,
    severity         text     NOT NULL,
    slot             smallint NOT NULL,
    events           bigint   NOT NULL,
    PRIMARY KEY (day, provider, source, recipient_domain, event_type, reason, severity, slot)
);

-- Messages from an ESP that need a person, such as Amazon SNS subscription
-- confirmations: logged, counted, and listed by the API.
CREATE TABLE provider_notices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider     text        NOT NULL,
    source       text        NOT NULL,
    kind         text        NOT NULL,
    topic        text,
    url          text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    raw          json        NOT NULL
);

-- "N soft failures within W": count a recipient's soft failures in the window
-- from this index alone.
CREATE INDEX events_soft_by_recipient ON events (recipient, occurred_at) WHERE severity = 'soft';

-- Candidates for the recurring-soft-bounce list, newest failure first.
CREATE INDEX recipient_state_by_last_soft ON recipient_state (last_soft_at DESC, recipient DESC) WHERE last_soft_at IS NOT NULL;

-- The API's one timestamp format: ISO-8601 in UTC with microseconds.
CREATE FUNCTION rebound_iso(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;
