-- name: events
-- description: Audit logs and guardrail violations in one shape (event_id unique across sources), with category and severity from pipeline.transform.taxonomy, org, actor and session names from the dimension snapshots (a violation's actor is its session's user), and correlated_event_id linking a violation and its ai_guardrail_violation audit entry both ways (see the guardrail_violations view).
-- parameters: none
CREATE OR REPLACE VIEW events AS
WITH links AS (
    SELECT violation_id, correlated_audit_log_id AS audit_log_id
    FROM guardrail_violations
    WHERE correlated_audit_log_id IS NOT NULL
),
by_entry AS (
    -- Two violations may pick the same entry; the entry links back to the first.
    SELECT audit_log_id, min(violation_id) AS violation_id FROM links GROUP BY audit_log_id
)
SELECT
    e.*,
    CASE
        WHEN e.source = 'guardrail_violation' THEN 'audit_log:' || lv.audit_log_id
        WHEN e.source = 'audit_log' THEN 'guardrail_violation:' || CAST(la.violation_id AS VARCHAR)
    END AS correlated_event_id
FROM _lake.events AS e
LEFT JOIN links AS lv
    ON e.source = 'guardrail_violation' AND e.source_id = CAST(lv.violation_id AS VARCHAR)
LEFT JOIN by_entry AS la
    ON e.source = 'audit_log' AND e.source_id = la.audit_log_id;
