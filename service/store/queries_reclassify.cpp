// SQL for `rebound reclassify` (names declared in queries.hpp).
#include "store/queries.hpp"

namespace rebound::store::sql {

query const reclassify_progress_get{"reclassify_progress_get",
    "SELECT last_id, updated FROM reclassify_progress WHERE classifier_version = $1::int"};

query const reclassify_progress_set{"reclassify_progress_set", R"sql(
INSERT INTO reclassify_progress (classifier_version, last_id, updated, updated_at)
VALUES ($1::int, $2::bigint, $3::bigint, now())
ON CONFLICT (classifier_version) DO UPDATE
SET last_id = EXCLUDED.last_id, updated = EXCLUDED.updated, updated_at = now())sql"};

// Walks the primary key, so each batch is an index range scan however many
// events were already done.
query const reclassify_batch{"reclassify_batch", R"sql(
SELECT id, provider, event_type, recipient, smtp_code, enhanced_status, diagnostic, esp_class, esp_type,
       remote_mta, reason, severity
FROM events
WHERE id > $1::bigint AND classifier_version < $2::int
ORDER BY id
LIMIT $3::int)sql"};

query const reclassify_update{"reclassify_update", R"sql(
UPDATE events e
SET reason = NULLIF(v.reason, ''), severity = NULLIF(v.severity, ''), classifier_version = $2::int
FROM json_to_recordset($1::json) AS v(id bigint, reason text, severity text)
WHERE e.id = v.id)sql"};

// The same state the ingest path maintains incrementally, recomputed from
// the stored events of the given recipients.
query const recompute_recipient_state{"recompute_recipient_state", R"sql(
UPDATE recipient_state s
SET soft_streak       = x.streak,
    streak_started_at = x.streak_start,
    first_soft_at     = x.first_soft,
    last_soft_at      = x.last_soft,
    last_soft_reason  = x.last_soft_reason,
    hard_bounced_at   = x.hard_at,
    hard_reason       = x.hard_reason,
    updated_at        = now()
FROM (
    SELECT r.recipient,
           count(*) FILTER (WHERE e.severity = 'soft' AND e.occurred_at > coalesce(st.last_delivered_at, '-infinity')) AS streak,
           min(e.occurred_at) FILTER (WHERE e.severity = 'soft' AND e.occurred_at > coalesce(st.last_delivered_at, '-infinity')) AS streak_start,
           min(e.occurred_at) FILTER (WHERE e.severity = 'soft') AS first_soft,
           max(e.occurred_at) FILTER (WHERE e.severity = 'soft') AS last_soft,
           (array_agg(e.reason ORDER BY e.occurred_at DESC) FILTER (WHERE e.severity = 'soft'))[1] AS last_soft_reason,
           max(e.occurred_at) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard') AS hard_at,
           (array_agg(e.reason ORDER BY e.occurred_at DESC) FILTER (WHERE e.event_type = 'bounce' AND e.severity = 'hard'))[1] AS hard_reason
    FROM json_array_elements_text($1::json) AS r(recipient)
    JOIN recipient_state st ON st.recipient = r.recipient
    JOIN events e ON e.recipient = r.recipient
    GROUP BY r.recipient, st.last_delivered_at
) x
WHERE s.recipient = x.recipient)sql"};

}  // namespace rebound::store::sql
