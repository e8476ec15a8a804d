-- 001: normalised events, rejected events, and per-recipient state.
--
-- events is append-only: one row per ESP event, de-duplicated on the ESP's
-- event id. recipient_state is derived from newly inserted events in the same
-- transaction, so the answers ("recurring soft bounces", "needs an address
-- change") are one index lookup away.

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
    PRIMARY KEY (id),
    UNIQUE (provider, provider_event_id)
);

CREATE INDEX events_recipient_time ON events (recipient, occurred_at);
CREATE INDEX events_user_ref ON events (user_ref, occurred_at) WHERE user_ref IS NOT NULL;
CREATE INDEX events_occurred_at ON events USING brin (occurred_at);

-- Valid JSON that could not be normalised: kept whole, with the reason, so a
-- fixed parser can replay it.
CREATE TABLE rejected_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider    text        NOT NULL,
    source      text        NOT NULL DEFAULT '',
    why         text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    raw         json        NOT NULL
);

CREATE INDEX rejected_events_received_at ON rejected_events (received_at);

CREATE TABLE recipient_state (
    recipient          text PRIMARY KEY,
    recipient_domain   text        NOT NULL,
    user_ref           text,
    provider           text        NOT NULL,   -- of the latest event
    source             text        NOT NULL,
    last_event_at      timestamptz NOT NULL,
    last_event_type    text        NOT NULL,
    last_delivered_at  timestamptz,
    -- soft failures (deferred, block, soft bounce) after last_delivered_at
    soft_streak        integer     NOT NULL DEFAULT 0,
    streak_started_at  timestamptz,
    first_soft_at      timestamptz,
    last_soft_at       timestamptz,
    last_soft_reason   text,
    hard_bounced_at    timestamptz,
    hard_reason        text,
    complained_at      timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recipient_state_user_ref ON recipient_state (user_ref) WHERE user_ref IS NOT NULL;
CREATE INDEX recipient_state_domain ON recipient_state (recipient_domain);
