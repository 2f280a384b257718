-- name: dead_letters
-- description: Landed lines the transform could not normalize, with the stage and error; one row per landed line (the latest attempt when a line was ingested again on another day).
-- parameters: none
CREATE OR REPLACE VIEW dead_letters AS
SELECT *
FROM _lake.dead_letters
QUALIFY row_number() OVER (PARTITION BY _landed_file, _offset ORDER BY _ingested_at DESC) = 1;
