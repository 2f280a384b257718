-- name: audit_logs
-- description: Devin audit-log entries, one row per audit_log_id; created_at is UTC, data is the raw action payload as JSON, extra holds keys the pipeline does not know yet.
-- parameters: none
CREATE OR REPLACE VIEW audit_logs AS
SELECT * REPLACE (CAST(data AS JSON) AS data, CAST(extra AS JSON) AS extra)
FROM _lake.audit_logs;
