-- name: service_users
-- description: Service users, the latest snapshot of each service_user_id; role_assignments as JSON.
-- parameters: none
CREATE OR REPLACE VIEW service_users AS
SELECT * REPLACE (CAST(role_assignments AS JSON) AS role_assignments, CAST(extra AS JSON) AS extra)
FROM _lake.service_users
QUALIFY row_number() OVER (
    PARTITION BY service_user_id ORDER BY _fetched_at DESC NULLS LAST, _ingested_at DESC
) = 1;
