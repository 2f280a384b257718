-- name: users
-- description: Enterprise users, the latest snapshot of each user_id; role_assignments as JSON.
-- parameters: none
CREATE OR REPLACE VIEW users AS
SELECT * REPLACE (CAST(role_assignments AS JSON) AS role_assignments, CAST(extra AS JSON) AS extra)
FROM _lake.users
QUALIFY row_number() OVER (
    PARTITION BY user_id ORDER BY _fetched_at DESC NULLS LAST, _ingested_at DESC
) = 1;
