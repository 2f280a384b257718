-- name: guardrail_violations
-- description: AI guardrail violations, one row per violation_id; user_message and reasoning hold raw user prompts (sensitive).
-- parameters: none
CREATE OR REPLACE VIEW guardrail_violations AS
SELECT * REPLACE (CAST(extra AS JSON) AS extra)
FROM _lake.guardrail_violations;
