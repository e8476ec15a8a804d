-- 003: progress of `rebound reclassify`, so a long run can stop and resume.
CREATE TABLE reclassify_progress (
    classifier_version integer PRIMARY KEY,
    last_id            bigint      NOT NULL,
    updated            bigint      NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
