-- name: guardrail_violations
-- description: AI guardrail violations, one row per violation_id, enriched with the session's user, origin, title, tags and playbook; user_message and reasoning are redacted (secrets replaced by typed placeholders) but still hold user prompts (sensitive). correlated_audit_log_id is the ai_guardrail_violation audit entry of the same org and session (and guardrail, when both name one) logged 0-5 s after the violation, the nearest first; null until that entry is in the lake.
-- parameters: none
CREATE OR REPLACE VIEW guardrail_violations AS
WITH violations AS (
    SELECT * REPLACE (CAST(extra AS JSON) AS extra, CAST(session_tags AS JSON) AS session_tags)
    FROM _lake.guardrail_violations
),
entries AS (
    -- Filter before joining: violation entries are a small share of the audit log.
    SELECT
        audit_log_id,
        org_id,
        created_at,
        json_extract_string(data, '$.session_id') AS session_id,
        json_extract_string(data, '$.guardrail_id') AS guardrail_id
    FROM _lake.audit_logs
    WHERE action = 'ai_guardrail_violation'
),
matches AS (
    SELECT
        v.violation_id,
        e.audit_log_id,
        row_number() OVER (
            PARTITION BY v.violation_id ORDER BY e.created_at - v.created_at, e.audit_log_id
        ) AS nearest
    FROM violations AS v
    JOIN entries AS e
        ON e.org_id = v.org_id
        AND e.session_id IS NOT DISTINCT FROM v.session_id
        AND (e.guardrail_id IS NULL OR v.guardrail_id IS NULL OR e.guardrail_id = v.guardrail_id)
        AND e.created_at BETWEEN v.created_at AND v.created_at + INTERVAL 5 SECOND
)
SELECT v.*, m.audit_log_id AS correlated_audit_log_id
FROM violations AS v
LEFT JOIN matches AS m ON m.violation_id = v.violation_id AND m.nearest = 1;
