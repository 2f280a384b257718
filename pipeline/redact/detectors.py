"""The ordered table of secret detectors: what each finds and where its pattern comes from.

Order matters: detectors run in ``DETECTORS`` order and a span overlapping one already taken is
dropped, so specific provider formats win over ``generic_secret`` and ``high_entropy``. Each
entry's ``source`` says whose pattern it is: detect-secrets', ours, or both (the library's
list or check inside our pattern). See ``pipeline/redact/__init__.py`` for why each is ours.
"""

from __future__ import annotations

import base64
import binascii
import re

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from pipeline.redact.context import (
    ASSIGNMENT,
    CONTEXT_TRIGGER,
    DISCLOSURE,
    DISCLOSURE_KEYS,
    FLAG_ASSIGNMENT,
    FLAG_TRIGGER,
    KEYWORD_TRIGGER,
    KEYWORDS,
    LOGIN_COMMANDS,
    LOGIN_FLAG,
    NETRC,
    TOKEN,
    XML_SETTING,
    assignment,
    disclosure,
    high_entropy,
)
from pipeline.redact.detector import (
    IGNORECASE,
    Detector,
    Locate,
    Span,
    Thresholds,
    bounded,
    edge,
    group,
    library,
    make,
    unless_placeholder,
)
from pipeline.redact.heuristics import char_classes, is_hex, is_placeholder, is_random_looking

# -- provider formats ----------------------------------------------------------------------------

_AWS_ID, _AWS_QUOTED_SECRET = AWSKeyDetector.denylist
_NL = r"[ \t]*(?:\r?\n|\\r?\\n)[ \t]*"  # a newline, raw or escaped as in JSON text
_PRIVATE_KEY = re.compile(
    # The whole PEM block, armour included; the END line must repeat the BEGIN label. A block
    # cut short (no END) is redacted from BEGIN through its header and base64 lines.
    r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
    rf"(?:.*?-----END (?P=label)-----"
    rf"|(?:{_NL}(?:[A-Za-z-]+: [^\r\n\\\"]*)?)*(?:{_NL}[A-Za-z0-9+/=]{{16,}})+)"
    r"|PuTTY-User-Key-File-\d: .*?Private-MAC: [0-9a-f]+",
    re.ASCII | re.DOTALL,
)
_KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{16}", re.ASCII)


def _private_key(match: re.Match[str], _: Thresholds) -> Span | None:
    # Prose that names the armour ("keys begin with -----BEGIN PRIVATE KEY-----") holds no key.
    return match.span() if _KEY_MATERIAL.search(match.group()) else None


def _jwt(match: re.Match[str], _: Thresholds) -> Span | None:
    # detect-secrets' check: each part is base64url and the first two decode to JSON.
    return match.span() if JwtTokenDetector.is_formally_valid(match.group()) else None


def _aws_secret(group: int | str) -> Locate:
    """40 base64 characters near "aws ... key": not a hex digest, and mixing characters."""

    def locate(match: re.Match[str], _: Thresholds) -> Span | None:
        value = match.group(group)
        return None if is_hex(value) or char_classes(value) < 2 else match.span(group)

    return locate


def _bare_aws_secret(match: re.Match[str], limits: Thresholds) -> Span | None:
    value = match.group()
    if char_classes(value) < 3 or not is_random_looking(value, limits.entropy, limits.hex_entropy):
        return None
    return match.span()


def _basic_auth(match: re.Match[str], _: Thresholds) -> Span | None:
    """``Basic <base64 of user:password>`` or ``curl -u user:password``: the credential part.
    The base64 must decode to ``user:password``, or "basic authentication" would be a hit."""
    encoded = match.group("b64")
    if encoded is not None:
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
        return match.span("b64") if b":" in decoded else None
    return None if is_placeholder(match.group("pw")) else match.span("pw")


def _bearer(match: re.Match[str], _: Thresholds) -> Span | None:
    """An opaque bearer token: mixes case or has a digit, so "bearer authentication-flow" is
    not one."""
    value = match.group("value")
    if is_placeholder(value) or not any(c.isdigit() or c.isupper() for c in value):
        return None
    return match.span("value")


def _devin_key(match: re.Match[str], _: Thresholds) -> Span | None:
    # cog_/apk_ followed by words (cog_config_loader) is code, not a key: want a digit or capital.
    tail = match.group("tail")
    return match.span() if any(c.isdigit() or c.isupper() for c in tail) else None


DETECTORS: tuple[Detector, ...] = (
    # Whole PEM blocks span lines, which detect-secrets (line by line, header only) cannot redact.
    make(
        "private_key",
        _PRIVATE_KEY.pattern,
        r"PRIVATE KEY|PuTTY-User-Key-File",
        "both",
        _private_key,
        flags=re.ASCII | re.DOTALL,
    ),
    # The library's JWT regex ends lazily and would leave the signature; ours takes all three parts.
    make(
        "jwt",
        bounded(r"eyJ[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}"),
        r"eyJ[A-Za-z0-9_=-]*\.",
        "both",
        _jwt,
    ),
    make("aws_access_key", bounded(library(_AWS_ID)), library(_AWS_ID), "detect-secrets"),
    # The library's ghp_/gho_/... shape (fixed at 36 characters) widened, and fine-grained PATs.
    make(
        "github_token",
        bounded(
            r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,255}"
            r"|github_pat_[A-Za-z0-9_]{22,255}"
        ),
        edge(r"(?:ghp|gho|ghu|ghs|ghr)_|github_pat_"),
        "ours",
    ),
    *(
        make(
            "gitlab_token",
            bounded(library(p)),
            edge(r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941"),
            "detect-secrets",
        )
        for p in GitLabTokenDetector.denylist
    ),
    # The library wants digits between the dashes (xoxb-123-456-abc); real and sandbox tokens
    # also carry letters there, so the token shape is ours. Webhook URLs are the library's.
    make(
        "slack_token",
        bounded(r"xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-[0-9]-[A-Za-z0-9-]{10,250}"),
        edge(r"xox[abposre]-|xapp-"),
        "ours",
    ),
    make(
        "slack_webhook",
        library(SlackDetector.denylist[1], IGNORECASE),
        r"(?i:hooks\.slack\.com/services/)",
        "detect-secrets",
        flags=IGNORECASE,
        starts="https?://hooks",
    ),
    # The library's Stripe regex knows live keys only; test-mode keys and webhook secrets are
    # credentials too, so this superset of it is ours.
    make(
        "stripe_key",
        bounded(r"[rs]k_(?:live|test)_[0-9A-Za-z]{16,247}|whsec_[0-9A-Za-z]{24,}"),
        edge(r"[rs]k_(?:live|test)_|whsec_"),
        "ours",
    ),
    make("google_api_key", bounded(r"AIza[0-9A-Za-z_-]{35}"), edge(r"AIza"), "ours"),
    make(
        "anthropic_key",
        bounded(r"sk-ant-(?:api|admin|oat)?[0-9]{0,2}-?[A-Za-z0-9_-]{20,250}"),
        edge(r"sk-ant-"),
        "ours",
    ),
    # The library's legacy shape (…T3BlbkFJ…) plus today's project/service-account keys.
    make(
        "openai_key",
        bounded(library(OpenAIDetector.denylist[0])),
        edge(r"sk-"),
        "detect-secrets",
    ),
    make(
        "openai_key",
        bounded(
            r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,250}"
            r"|sk-[A-Za-z0-9]{48}"
        ),
        edge(r"sk-"),
        "ours",
    ),
    # The library's AccountKey= regex, with a group so that only the key is replaced.
    make(
        "azure_storage_key",
        r"AccountKey=(?P<value>[A-Za-z0-9+/=]{86,88})(?![A-Za-z0-9+/=])",
        r"AccountKey=",
        "detect-secrets",
        group("value"),
    ),
    make("sendgrid_key", bounded(library(SendGridDetector.denylist[0])), r"SG\.", "detect-secrets"),
    *(
        make("twilio_key", bounded(library(p)), library(p), "detect-secrets")
        for p in TwilioKeyDetector.denylist
    ),
    make(
        "mailchimp_key",
        bounded(library(MailchimpDetector.denylist[0])),
        r"-us[0-9]",
        "detect-secrets",
    ),
    make("npm_token", bounded(r"npm_[A-Za-z0-9]{36}"), edge(r"npm_"), "ours"),
    *(
        make("pypi_token", bounded(library(p)), r"pypi-AgE", "detect-secrets")
        for p in PypiTokenDetector.denylist
    ),
    make(
        "discord_token",
        bounded(library(DiscordBotTokenDetector.denylist[0])),
        library(DiscordBotTokenDetector.denylist[0]),
        "detect-secrets",
    ),
    make(
        "telegram_token",
        bounded(library(TelegramBotTokenDetector.denylist[0])),
        r"[0-9]{8,10}:[0-9A-Za-z_-]{35}",
        "detect-secrets",
    ),
    make(
        "square_token",
        bounded(library(SquareOAuthDetector.denylist[0])),
        edge(r"sq0csp-"),
        "detect-secrets",
    ),
    # Devin's own credentials: service-user tokens (cog_) and legacy API keys (apk_, apk_user_).
    make(
        "devin_api_key",
        bounded(r"(?:cog|apk)_(?P<tail>[A-Za-z0-9_-]{16,250})"),
        edge(r"cog_|apk_"),
        "ours",
        _devin_key,
    ),
    # AWS secret keys: the library's (quoted, near "aws"...key) and ours (unquoted assignments).
    make(
        "aws_secret_key",
        library(_AWS_QUOTED_SECRET, IGNORECASE),
        r"(?i:aws)",
        "detect-secrets",
        _aws_secret(1),
        flags=IGNORECASE,
        starts="aws",
    ),
    make(
        "aws_secret_key",
        r"(?:aws[A-Za-z0-9_. -]{0,30}?(?:secret|key)|secret[_ -]?access[_ -]?key)"
        r"[A-Za-z0-9_. -]{0,20}?[\"'\]]{0,2}[ \t]*"
        r"(?::=|=>|=|:|[ \t])[ \t]*[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        r"(?i:aws|secret[_ -]?access[_ -]?key)",
        "ours",
        _aws_secret("value"),
        flags=IGNORECASE,
        starts="aws|secret[_ -]?access[_ -]?key",
    ),
    # The password of scheme://user:password@host. The library's regex needs a user name and
    # stops at sub-delimiters; ours takes redis://:password@host too, and only the password.
    make(
        "password_in_url",
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#\[\]@\"'<>]*:"
        r"(?P<pw>[^\s/?#\[\]@\"'<>]+)@",
        r"://[^\t\n\f\r /?#\[\]@\"'<>]*:[^\t\n\f\r /?#\[\]@\"'<>]+@",
        "ours",
        unless_placeholder("pw"),
    ),
    make(
        "password_in_url",
        library(BasicAuthDetector.denylist[0]),
        r"://[^ ]*:[^ ]*@",
        "detect-secrets",
        unless_placeholder(1),
    ),
    make(
        "basic_auth",
        r"(?<![A-Za-z])basic[ \t]+(?P<b64>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"
        r"|(?:^|(?<=[\s\"']))(?:-u|--user)(?:[ \t]+|=)[\"']?[^\s:\"']+:(?P<pw>[^\s\"']+)",
        r"(?i:basic[ \t]+[A-Za-z0-9+/]{8}|(?:-u|--user)[ \t=])",
        "ours",
        _basic_auth,
        flags=IGNORECASE,
        starts="basic|-u|--user",
    ),
    make(
        "bearer_token",
        r"(?<![A-Za-z])bearer[ \t]+(?P<value>[A-Za-z0-9._~+/-]{16,}={0,2})(?![A-Za-z0-9._~+/=-])",
        r"(?i:bearer[ \t])",
        "ours",
        _bearer,
        flags=IGNORECASE,
        starts="bearer",
    ),
    make(
        "generic_secret",
        ASSIGNMENT.pattern,
        KEYWORD_TRIGGER,
        "both",
        assignment,
        flags=IGNORECASE,
        starts=KEYWORDS,
    ),
    make(
        "generic_secret",
        FLAG_ASSIGNMENT.pattern,
        FLAG_TRIGGER,
        "ours",
        assignment,
        flags=IGNORECASE,
        starts=KEYWORDS,
    ),
    make(
        "generic_secret",
        DISCLOSURE.pattern,
        rf"(?i:(?:{DISCLOSURE_KEYS})[ \t:])",
        "ours",
        disclosure,
        flags=IGNORECASE,
        starts=DISCLOSURE_KEYS,
    ),
    make(
        "generic_secret",
        XML_SETTING.pattern,
        rf"(?i:(?:{KEYWORDS})[\"'][ \t]+value=)",
        "ours",
        group("value"),
        flags=IGNORECASE,
        starts="key=|name=",
    ),
    make(
        "generic_secret",
        NETRC.pattern,
        r"(?i:password[ \t])",
        "ours",
        group("value"),
        flags=IGNORECASE,
        starts="machine",
    ),
    make(
        "generic_secret",
        LOGIN_FLAG.pattern,
        r"(?i:login|mysql|mariadb)",
        "ours",
        unless_placeholder("value"),
        flags=IGNORECASE,
        starts=LOGIN_COMMANDS,
    ),
    # Last but one, being the weakest shape: a bare 40-character base64 token is AWS's secret
    # key shape (digests are hex, or 28 or 44 characters in base64); taken only when it looks
    # random, with no context needed.
    make(
        "aws_secret_key",
        r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        r"(?:^|[^A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+=]|$)",
        "ours",
        _bare_aws_secret,
    ),
    make("high_entropy", TOKEN.pattern, CONTEXT_TRIGGER, "both", high_entropy),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(d.kind for d in DETECTORS))

# The distinct triggers, and their OR: a text PREFILTER does not match holds no secret, and a
# detector whose trigger does not match a text cannot fire on it.
TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(d.trigger for d in DETECTORS))
PREFILTER: str = "|".join(f"(?:{t})" for t in TRIGGERS)
