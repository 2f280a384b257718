"""Redaction of secrets and pseudonymization of identities, before anything reaches the lake.

Guardrail violations carry the raw prompt that tripped a guardrail (``user_message``), often
with a pasted credential, and audit logs carry a free-form ``data`` object. Each secret found
is replaced by a typed placeholder, ``[REDACTED:<kind>]``, so analysts still see *that* a GitHub
token or a database password was pasted, and counters can say how often, but never the value.

The API:

    redact_text(text, policy)        -> (text, kinds)   one free-text value
    redact_json_text(text, policy)   -> (text, kinds)   one JSON document, kept valid JSON
    redact_array(values, policy)     -> values          Arrow string array (the hot path)
    redact_json_array(values, policy)-> values          Arrow string array of JSON documents
    pseudonymize(value, key)         -> "pseud:<hex16>" keyed HMAC-SHA256
    pseudonymize_array(values, key)  -> values
    redact_table(name, table, policy)-> table           a lake table's batch through the policy
    RedactionPolicy, DEFAULT_POLICY                     which fields, thresholds, the HMAC key

Where detections come from (``detectors.DETECTORS`` marks each):

* detect-secrets (Yelp, 1.5): the provider regexes we take as they are: AWS access key ids and
  its quoted ``aws...key = "..."`` secret, GitLab, Slack webhooks, the legacy OpenAI shape,
  Azure storage ``AccountKey=``, SendGrid, Twilio, Mailchimp, PyPI, Discord, Telegram, Square,
  and ``scheme://user:password@`` (``BasicAuthDetector``); its keyword denylist (``api_?key``,
  ``password``, ``secret``...) behind ``generic_secret``; its Shannon-entropy functions
  (base64 and hex, with its all-digits discount), JWT validity check (parts decode to JSON),
  and sequence/UUID/template filters. These are maintained against real-world formats and
  false positives by people who do only that.
* Ours, where the library misses or cannot redact: whole PEM blocks over several lines (the
  library flags a ``BEGIN ... PRIVATE KEY`` line; we need the span through ``END``); the
  password alone in URLs, including ``redis://:password@``; JWTs with their signature (the
  library's regex ends lazily and would leave it); GitHub fine-grained ``github_pat_`` tokens;
  Slack tokens with letters between the dashes; Stripe test-mode keys and webhook secrets;
  Google API keys; Anthropic keys; OpenAI project keys; npm tokens; Devin's own ``cog_`` and
  ``apk_`` keys; ``Basic``/``Bearer`` headers and ``curl -u``; unquoted ``AWS_SECRET_ACCESS_KEY=``;
  "my password is ..." in prose; and ``high_entropy``, which looks for a random-looking token
  *near a secret word*, because the library's entropy plugins flag any quoted random string in
  a source file, which in prompts would redact every commit SHA and checksum. Ours also decide
  what is a placeholder (``<your-password>``, ``${API_KEY}``, ``YOUR_API_KEY_HERE``) or prose
  ("reset your password"), which the library leaves to file-level filters.

The library is used in-process only: its plugins' network ``verify`` methods are never called.
"""

from pipeline.redact.arrays import redact_array, redact_json_array
from pipeline.redact.detectors import KINDS
from pipeline.redact.jsontext import redact_json_text
from pipeline.redact.policy import DEFAULT_POLICY, RedactionPolicy
from pipeline.redact.pseudonyms import pseudonymize, pseudonymize_array
from pipeline.redact.tables import redact_table
from pipeline.redact.text import redact_text

__all__ = [
    "DEFAULT_POLICY",
    "KINDS",
    "RedactionPolicy",
    "pseudonymize",
    "pseudonymize_array",
    "redact_array",
    "redact_json_array",
    "redact_json_text",
    "redact_table",
    "redact_text",
]
