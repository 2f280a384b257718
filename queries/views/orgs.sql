-- name: orgs
-- description: Organizations, the latest snapshot of each org_id.
-- parameters: none
CREATE OR REPLACE VIEW orgs AS
SELECT * REPLACE (CAST(extra AS JSON) AS extra)
FROM _lake.orgs
QUALIFY row_number() OVER (
    PARTITION BY org_id ORDER BY _fetched_at DESC NULLS LAST, _ingested_at DESC
) = 1;
