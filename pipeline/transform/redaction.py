"""The one place the transform redacts: whole Arrow tables, per lake table, before staging.

Uses ``pipeline.redact`` (``redact_array``, ``redact_json_array``, ``pseudonymize_array`` and a
``RedactionPolicy``). On top of the policy's fields, the transform always redacts the columns
that can carry any part of a raw record: ``extra`` (unknown keys, JSON) of the event tables and
the ``raw`` line of dead letters. Nothing is staged, and so nothing reaches the lake, without
passing here. (``pipeline.redact`` also offers a ``redact_table``; this one adds ``ALWAYS``.)
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.redact import (
    DEFAULT_POLICY,
    RedactionPolicy,
    pseudonymize_array,
    redact_array,
    redact_json_array,
)

# Redacted whatever the policy says: (table, column, is JSON text).
ALWAYS: tuple[tuple[str, str, bool], ...] = (
    ("audit_logs", "extra", True),
    ("guardrail_violations", "extra", True),
    ("dead_letters", "raw", False),  # a line too broken to parse is still a record's text
)


def redact_table(name: str, table: pa.Table, rules: RedactionPolicy = DEFAULT_POLICY) -> pa.Table:
    """``table`` (rows of lake table ``name``) with secrets replaced and emails pseudonymized."""
    columns: dict[str, bool] = {
        column: rules.is_json(name, column) for column in rules.fields_to_redact(name)
    }
    columns.update({column: is_json for t, column, is_json in ALWAYS if t == name})
    for column, is_json in columns.items():
        if column not in table.column_names or table.num_rows == 0:
            continue
        values = table[column].combine_chunks()
        if values.null_count == len(values):
            continue
        redact = redact_json_array if is_json else redact_array
        table = _replace(table, column, redact(values, rules))
    key = rules.pseudonym_key
    for column in rules.fields_to_pseudonymize(name):  # empty without a key
        if key is not None and column in table.column_names and table.num_rows:
            values = table[column].combine_chunks()
            table = _replace(table, column, pseudonymize_array(values, key))
    return table


def _replace(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    index = table.schema.get_field_index(column)
    field = table.schema.field(index)
    return table.set_column(index, field, pc.cast(values, field.type))
