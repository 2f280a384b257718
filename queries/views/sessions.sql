-- name: sessions
-- description: Devin sessions, the latest snapshot of each session_id; tags, pull_requests, child_session_ids and structured_output as JSON.
-- parameters: none
CREATE OR REPLACE VIEW sessions AS
SELECT * REPLACE (
    CAST(tags AS JSON) AS tags,
    CAST(pull_requests AS JSON) AS pull_requests,
    CAST(child_session_ids AS JSON) AS child_session_ids,
    CAST(structured_output AS JSON) AS structured_output,
    CAST(extra AS JSON) AS extra
)
FROM _lake.sessions
QUALIFY row_number() OVER (
    PARTITION BY session_id ORDER BY _fetched_at DESC NULLS LAST, _ingested_at DESC
) = 1;
