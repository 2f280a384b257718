"""A lake table's batch through the policy: its free-text columns redacted, its identifying
columns pseudonymized. The one call the transform needs per (table, batch)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from pipeline.redact.arrays import redact_array, redact_json_array
from pipeline.redact.policy import DEFAULT_POLICY, RedactionPolicy
from pipeline.redact.pseudonyms import pseudonymize_array


def redact_table(
    name: str,
    table: pa.Table,
    policy: RedactionPolicy = DEFAULT_POLICY,
    *,
    counts: Counter[str] | None = None,
) -> pa.Table:
    """``table`` (the lake table ``name``) with the policy's fields redacted and pseudonymized.

    Columns the policy names but the table lacks are skipped; the schema is unchanged.
    ``counts`` gets one per secret replaced, keyed by kind.
    """
    for column in policy.fields_to_redact(name):
        index = table.schema.get_field_index(column)
        if index < 0:
            continue
        redact = redact_json_array if policy.is_json(name, column) else redact_array
        values = redact(table.column(index), policy, counts=counts)
        table = table.set_column(index, table.schema.field(index), values)
    key = policy.pseudonym_key
    if key is not None:
        for column in policy.fields_to_pseudonymize(name):
            index = table.schema.get_field_index(column)
            if index >= 0:
                values = pseudonymize_array(table.column(index), key)
                table = table.set_column(index, table.schema.field(index), values)
    return table
