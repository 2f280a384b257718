-- name: events
-- description: Audit logs and guardrail violations in one shape (event_id unique across sources), with category and severity from pipeline.transform.taxonomy.
-- parameters: none
CREATE OR REPLACE VIEW events AS
SELECT *
FROM _lake.events;
