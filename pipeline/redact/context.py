"""Detectors driven by words: ``password=...``, "my password is ...", a random token after
"key", and the config and command-line shapes that carry a password by name.

The keyword list is detect-secrets' (``plugins.keyword.DENYLIST``) plus names it lacks; how a
value is told from a placeholder or from the sentence going on is ours.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.keyword import DENYLIST

from pipeline.redact.detector import FLAGS, IGNORECASE, Span, Thresholds, bounded
from pipeline.redact.heuristics import (
    char_classes,
    is_hex,
    is_placeholder,
    is_random_looking,
    looks_like_word,
)

# detect-secrets' keyword denylist (``api_?key``, ``password``, ``secret``...) with ``-`` also
# allowed as separator, plus names it lacks that people use for credentials.
KEYWORDS = "|".join(
    [k.replace("_?", "[_-]?") for k in DENYLIST]
    + [
        "passphrase",
        "token",
        "apikey",
        "secret[_-]?key",
        "access[_-]?key",
        "credentials?",
        "signing[_-]?key",
        "encryption[_-]?key",
        "master[_-]?key",
        "client[_-]?secret",
    ]
)
# Keys ending in a keyword that name something public (a pagination cursor).
PUBLIC_KEYS = re.compile(
    r"(?:next|page|pagination|continuation|cursor|sync)[_-]?token$", IGNORECASE
)

# The keyword alone starts the match (fast to search for); ``_key_of`` extends it leftwards to
# the whole key name (DB_PASSWORD, spring.datasource.password, --api-key).
_KEY = rf"(?P<kw>{KEYWORDS})(?![A-Za-z0-9_])"
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_ASSIGN = r"(?P<close>[\"'\]]{0,2})[ \t]*(?P<op>:=|=>|==|=|:)[ \t]*"
# Command-line flags assign with a space too: --password value, --api-key value.
_FLAG = r"(?P<kw>{kw})(?![A-Za-z0-9_])(?P<op>[ \t]+)"
_VALUE = (
    r"(?:\"(?P<dq>[^\"\r\n]{1,256})\"|'(?P<sq>[^'\r\n]{1,256})'|`(?P<bq>[^`\r\n]{1,256})`"
    r"|(?P<bare>[^\s\"'`,;&)}\]]{0,255}[^\s\"'`,;&)}\].:!?]))"
)
ASSIGNMENT = re.compile(_KEY + _ASSIGN + _VALUE, IGNORECASE)
FLAG_ASSIGNMENT = re.compile(_FLAG.format(kw=KEYWORDS) + _VALUE, IGNORECASE)
# A keyword, its closing quote or bracket, then an assignment: ``PASSWORD=``, ``"api_key": ``.
KEYWORD_TRIGGER = rf"(?i:(?:{KEYWORDS})[\"'\]]{{0,2}}[ \t\r\n]*[:=])"
FLAG_TRIGGER = rf"(?i:-[A-Za-z0-9_.-]*(?:{KEYWORDS})[ \t])"


def assignment(match: re.Match[str], _: Thresholds) -> Span | None:
    """``password = value``, ``"api_key": "value"``, ``--token value``: the value, unless it is
    a placeholder, a public key name, or (bare) the next word of a sentence."""
    key, op = _key_of(match), match.group("op")
    if PUBLIC_KEYS.search(key):
        return None
    if op.isspace() and not key.startswith("-"):  # only command-line flags assign by a space
        return None
    for group in ("dq", "sq", "bq", "bare"):
        value = match.group(group)
        if value is not None:
            break
    else:  # pragma: no cover - the regex always sets one
        return None
    if is_placeholder(value) or len(value) < 4:
        return None
    if group == "bare" and looks_like_word(value) and _prose_follows(match):
        return None
    if group != "bare" and op.isspace() and " " in value:  # --password "a b" is rare; prose
        return None
    return match.span(group)


def _key_of(match: re.Match[str]) -> str:
    """The whole key name ending in the matched keyword."""
    text, start = match.string, match.start()
    while start > 0 and text[start - 1] in _KEY_CHARS:
        start -= 1
    return text[start : match.end("kw")]


def _prose_follows(match: re.Match[str]) -> bool:
    """True when the bare value is followed on its line by another word: a sentence."""
    rest = match.string[match.end() : match.end() + 40].split("\n", 1)[0]
    return bool(re.match(r"[ \t]+[A-Za-z]", rest))


# "my password is Winter2026!", "the token was ..." : prose disclosure, held to a higher bar.
# An optional "for the staging db" may sit between the word and "is" or ":".
DISCLOSURE_KEYS = (
    r"password|passwd|passphrase|pw|pwd|secret|token|api[ _-]?key|access[ _-]?key|creds"
)
DISCLOSURE = re.compile(
    rf"(?<![A-Za-z])(?P<key>{DISCLOSURE_KEYS})(?:[ \t]+(?:for|of|to)[ \t][^\n:]{{1,40}}?)?"
    r"(?:[ \t]+(?:is|was)[ \t]*:?|[ \t]*:)[ \t]*[\"'`]?(?P<value>[^\s\"'`]{8,128})",
    IGNORECASE,
)


# <add key="DbPassword" value="..." /> (.NET, Java properties as XML).
XML_SETTING = re.compile(
    rf"(?:key|name)=[\"'][A-Za-z0-9_.-]*?(?:{KEYWORDS})[\"'][ \t]+value="
    r"[\"'](?P<value>[^\"'\r\n]+)",
    IGNORECASE,
)
# .netrc: machine <host> login <user> password <value>
NETRC = re.compile(
    r"machine[ \t]+\S+(?:[ \t]+login[ \t]+\S+)?[ \t]+password[ \t]+(?P<value>[^\s]+)", IGNORECASE
)
# Registry logins (-p <password>) and mysql's glued -p<password>.
LOGIN_COMMANDS = r"docker|podman|buildah|skopeo|helm|oras|mysql|mariadb"
LOGIN_FLAG = re.compile(
    r"(?:(?:docker|podman|buildah|skopeo|helm(?:[ \t]+registry)?|oras)[ \t]+login\b[^\n]*?"
    r"[ \t]-p[ \t]+|(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?[ \t]-p)"
    r"(?P<value>[^\s-][^\s]*)",
    IGNORECASE,
)


def disclosure(match: re.Match[str], _: Thresholds) -> Span | None:
    """The value after "password is": kept only if it mixes three character classes including a
    digit (Winter2026!), since prose says "the token is short-lived"."""
    start, end = match.span("value")
    value = match.string[start:end].rstrip(".,;:)")
    if is_placeholder(value) or char_classes(value) < 3 or not any(c.isdigit() for c in value):
        return None
    return start, start + len(value)


# -- context: a random-looking token near a word like "key" or "token" ----------------------------

_CONTEXT_WORDS = (
    r"passwords?|passwd|passphrase|pwd|secrets?|tokens?|keys?|apikeys?|credentials?|creds"
    r"|auth|bearer|signature|sig|pat"
)
# A word on its own: secret-<hex>, key_name and NPM_TOKEN are ids and names, not context.
_CONTEXT = re.compile(rf"(?<![A-Za-z0-9_-])(?:{_CONTEXT_WORDS})(?![A-Za-z0-9_-])", IGNORECASE)
CONTEXT_TRIGGER = rf"(?i:(?:^|[^a-z0-9_-])(?:{_CONTEXT_WORDS})(?:[^a-z0-9_-]|$))"
# Words that say the token is an identifier or a digest, not a credential.
_ID_WORDS = re.compile(
    r"(?<![A-Za-z])(?:commit|commits|sha|sha1|sha256|sha512|md5|checksum|digest|hash|uuid|guid"
    r"|id|ids|session|request|trace|build|version|etag|revision|rev|fingerprint|image|blob"
    r"|tree|object|tag|public|ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp[0-9]+)(?![A-Za-z])",
    IGNORECASE,
)
TOKEN = re.compile(bounded(r"[A-Za-z0-9+/_-]{20,}={0,2}"), FLAGS)
_CONTEXT_WINDOW = 48


def high_entropy(match: re.Match[str], limits: Thresholds) -> Span | None:
    """A random-looking token with a secret word shortly before it on the same line, and no
    identifier word (commit, sha256, session...) closer to it."""
    value = match.group()
    text, start = match.string, match.start()
    line_start = text.rfind("\n", 0, start) + 1
    window = text[max(line_start, start - _CONTEXT_WINDOW) : start]
    secret_words = [m.end() for m in _CONTEXT.finditer(window)]
    if not secret_words:
        return None
    id_words = [m.end() for m in _ID_WORDS.finditer(window)]
    # A hex string next to any id word is a digest; anything else loses only to a closer one.
    if id_words and (is_hex(value) or id_words[-1] > secret_words[-1]):
        return None
    if not is_random_looking(value, limits.entropy, limits.hex_entropy):
        return None
    return match.span()
