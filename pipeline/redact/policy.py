"""What to redact and pseudonymize, per lake table: one frozen, validated model.

The defaults redact the free text that can carry a pasted credential (guardrail
``user_message`` and ``reasoning``, the audit ``data`` object) and pseudonymize nothing.
Pseudonymization switches on when a ``pseudonym_key`` is given; the key is a ``SecretStr``, so
``repr``, ``str``, JSON dumps and validation errors show ``**********``, never the key.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from pipeline.redact.detector import Thresholds

# An HMAC key shorter than this is guessable by brute force over the (small) space of emails.
MIN_KEY_LENGTH = 16

FieldMap = dict[str, tuple[str, ...]]


def _fields(**tables: tuple[str, ...]) -> FieldMap:
    return dict(tables)


class RedactionPolicy(BaseModel):
    """Which fields of which table are redacted or pseudonymized, and how eagerly.

    ``redact_fields``: free-text columns scanned for secrets, per table. ``json_fields``: those
    of them that hold JSON text (redacted inside string values, kept valid JSON).
    ``pseudonymize_fields``: columns replaced by ``pseud:<hex16>`` keyed HMACs, only when
    ``pseudonym_key`` is set. One key for all fields keeps joins across tables working.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    redact_fields: FieldMap = Field(
        default_factory=lambda: _fields(
            guardrail_violations=("user_message", "reasoning"), audit_logs=("data",)
        )
    )
    json_fields: FieldMap = Field(default_factory=lambda: _fields(audit_logs=("data",)))
    entropy_threshold: Annotated[float, Field(ge=0.0, le=6.0)] = Field(
        default=3.5,
        description="Bits per character (base64 alphabet) a token near a secret word needs "
        "to count as random key material.",
    )
    hex_entropy_threshold: Annotated[float, Field(ge=0.0, le=4.0)] = Field(
        default=3.0, description="The same for hex strings (at most 4 bits per digit)."
    )
    pseudonymize_fields: FieldMap = Field(
        default_factory=lambda: _fields(
            audit_logs=("user_email",), events=("actor_email",), users=("email",)
        )
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key; pseudonymization is off without one."
    )

    @field_validator("pseudonym_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(
                f"the pseudonym key must be at least {MIN_KEY_LENGTH} characters; "
                "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return key

    @cached_property
    def thresholds(self) -> Thresholds:
        """The numbers the detectors consult."""
        return Thresholds(entropy=self.entropy_threshold, hex_entropy=self.hex_entropy_threshold)

    def fields_to_redact(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` to scan for secrets."""
        return self.redact_fields.get(table, ())

    def is_json(self, table: str, column: str) -> bool:
        """Whether ``table.column`` holds JSON text."""
        return column in self.json_fields.get(table, ())

    def fields_to_pseudonymize(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` to pseudonymize: none while no key is set."""
        if self.pseudonym_key is None:
            return ()
        return self.pseudonymize_fields.get(table, ())


DEFAULT_POLICY = RedactionPolicy()
