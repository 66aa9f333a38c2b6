"""Hostile HTTP requests for the request fuzzer, from a seeded ``random.Random``.

Each `Probe` is one request: method, path, raw headers (duplicates and non-ASCII bytes
allowed) and body. Bodies start from Slack-shaped payloads (slash commands, block_actions,
view_submission, shortcuts, message_action, events) and real button values the bot rendered,
then get mutated: keys dropped, values swapped for wrong types, 5,000-digit numbers, other
scripts' digits, lone surrogates, deep nesting, huge strings, broken encodings.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from bot import blocks

Json = dict[str, Any]
Header = tuple[bytes, bytes]

FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"
USERS = ["U0MEMBER1", "U0OTHER02", "U0ADMIN03", "U0NOBODY4"]
DIGITS = {  # str.isdigit() is True for all of these; int() takes only some
    "arabic-indic": "".join(chr(0x0660 + i) for i in range(10)),
    "fullwidth": "".join(chr(0xFF10 + i) for i in range(10)),
    "devanagari": "".join(chr(0x0966 + i) for i in range(10)),
    "math bold": "".join(chr(0x1D7CE + i) for i in range(10)),
    "superscript": "\u2070\u00b9\u00b2\u00b3" + "".join(chr(0x2074 + i) for i in range(6)),
}
WORDS = [
    "inbound", "outbound", "internal", "today", "yesterday", "this week", "last 7d", "last 24h",
    "oldest", "newest", "type:company", "type:on-demand", "scope:company", "page-size:25",
    "since:2024-05-01", "until:2024-05-31 17:00", ">2m", "<30s", "1m..5m", "ext:101",
    "from:+1 (732) 555-0100", "to:732-555-0199", "+1 732 555 0100", 'name:"john smith"',
    "call:c91150a6-0000-4000-8000-000000000000", "user:<@U0OTHER02|priya>", "help", "whoami",
    "jobs", "export", "get", "audit", "link", "unlink", "channel", "allow", "deny", "status",
    "action:audio", "outcome:refused", "c:193228", "o:745249:193228",
]  # fmt: skip
COMMAND_HEADS = ["", "", "", "export", "get", "audit", "link", "unlink", "whoami", "help", "jobs"]
ACTIONS = [
    blocks.ACTION_DETAILS, blocks.ACTION_PLAY, blocks.ACTION_SHARE, blocks.ACTION_ROW_MENU,
    blocks.ACTION_PAGE_PREV, blocks.ACTION_PAGE_NEXT, blocks.ACTION_EXPORT_ALL,
    blocks.ACTION_OPEN_MODAL, blocks.ACTION_CONNECT_VBC, blocks.ACTION_RETRY,
    blocks.ACTION_AUDIT_PREV, blocks.ACTION_AUDIT_NEXT, blocks.ACTION_JOBS_REFRESH,
    blocks.ACTION_EXPORT_CONFIRM, "open_signed_link", "no_such_action",
]  # fmt: skip


def hostile_text(rng: random.Random) -> str:
    """A string a person (or a forger) could type, at its nastiest."""
    kind = rng.randrange(16)
    if kind == 0:
        return "9" * 5000
    if kind == 1:
        return "".join(
            rng.choice(rng.choice(list(DIGITS.values()))) for _ in range(rng.randint(1, 12))
        )
    if kind == 2:
        return "\ud800" + "x" * rng.randint(0, 5)  # a lone surrogate (JSON escapes carry them)
    if kind == 3:
        return rng.choice(["\x00", "\x1b[31m", "\u202e", "\u200b", "\ufeff", "\r\n", "\t"]) * 3
    if kind == 4:
        return "x" * rng.choice([4001, 10_000, 100_000])
    if kind == 5:
        return rng.choice(["<!channel>", "<@U0ADMIN03>", "*bold* _it_ ~s~ `c` ```", "&lt;&amp;"])
    if kind == 6:
        return rng.choice(
            ["'; DROP TABLE links;--", "%", "_", "%s%s%n", "{0}{1}", "../../etc/passwd"]
        )
    if kind == 7:
        return rng.choice(["-1", "0", "1e308", "NaN", "Infinity", "-0", "0x10", "1_000", "+5"])
    if kind == 8:
        return "🎧" * rng.randint(1, 300)
    if kind == 9:
        return f"{rng.choice(['c', 'o'])}:{rng.choice(['', '-1', '9' * 5000, '²', '١٢٣'])}"
    if kind == 10:
        return f"{rng.choice(['k', '', ':', 'a:b'])}:{rng.choice(['0', '-1', '²', '9' * 5000, ''])}"
    if kind == 11:
        return f"{rng.choice(ACTIONS)}|{hostile_text(rng) if rng.random() < 0.3 else 'c:1'}"
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, mostly of the wrong type for wherever it lands."""
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 10**400, 1.5, -1e308])
    if kind == 3 and depth < 4:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == 4 and depth < 4:
        return {
            hostile_text(rng)[:20]: hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))
        }
    if kind == 5:
        return nested(rng.randint(50, 400))
    return hostile_text(rng)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def deep_json(depth: int) -> str:
    """JSON nested past any recursion limit (json.dumps could not write it)."""
    return '{"a":' * depth + '"deep"' + "}" * depth


def mutate(value: Any, rng: random.Random, rate: float, depth: int = 0) -> Any:
    """Copy of ``value`` with some of its keys dropped and values replaced (``response_url``
    stays: the bot may post to it, and it must go to a fake, never out)."""
    if isinstance(value, dict):
        out: Json = {}
        for key, inner in value.items():
            if key == "response_url":
                out[key] = inner
            elif rng.random() < rate / 2:
                continue
            elif rng.random() < rate:
                out[key] = hostile_value(rng)
            else:
                out[key] = mutate(inner, rng, rate, depth + 1)
        if rng.random() < rate / 2:
            out[hostile_text(rng)[:30]] = hostile_value(rng)
        return out
    if isinstance(value, list):
        items = [mutate(v, rng, rate, depth + 1) for v in value if rng.random() > rate / 3]
        return items + ([hostile_value(rng)] if rng.random() < rate / 3 else [])
    return value


@dataclass
class Probe:
    family: str
    method: str
    path: str
    headers: list[Header] = field(default_factory=list)
    body: bytes = b""
    signed: bool = False


@dataclass
class Templates:
    """What the bot really rendered (button values, a modal) and where replies may go."""

    values: list[tuple[str, str]]  # (action_id, value) of real buttons and menu options
    modal: Json | None
    response_url: Callable[[str], str]  # a fresh response_url for a user id


class Fuzzer:
    def __init__(self, seed: int, secret: str, templates: Templates) -> None:
        self.rng = random.Random(seed)
        self.secret = secret.encode()
        self.t = templates

    # ---- Slack-shaped payloads ---------------------------------------------------------------
    def user(self) -> Json:
        user_id = self.rng.choice(USERS)
        return {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": "T0001",
        }

    def command(self) -> Json:
        user = self.rng.choice(USERS)
        words = [self.rng.choice(COMMAND_HEADS)]
        words += [
            hostile_text(self.rng) if self.rng.random() < 0.4 else self.rng.choice(WORDS)
            for _ in range(self.rng.randint(0, 4))
        ]
        return {
            "token": "verification-token",
            "team_id": "T0001",
            "team_domain": "fake",
            "channel_id": self.rng.choice(["C0001", "D0MEMBER1", "C0NOPE"]),
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": self.rng.choice(["/recordings"] * 8 + ["/other", ""]),
            "text": " ".join(w for w in words if w),
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.t.response_url(user),
            "trigger_id": f"{self.rng.randrange(10**6)}.T0001.fuzz",
        }

    def block_actions(self) -> Json:
        user = self.user()
        if self.t.values and self.rng.random() < 0.6:
            action_id, value = self.rng.choice(self.t.values)
        else:
            action_id, value = self.rng.choice(ACTIONS), hostile_text(self.rng)
        action: Json = {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
        if action_id == blocks.ACTION_ROW_MENU or self.rng.random() < 0.1:
            action = {**action, "type": "overflow", "selected_option": {"value": value}}
        payload: Json = {
            "type": "block_actions",
            "user": user,
            "api_app_id": "A0001",
            "token": "verification-token",
            "team": {"id": "T0001", "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
            "state": {"values": {}},
            "trigger_id": f"{self.rng.randrange(10**6)}.T0001.fuzz",
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0001"},
            "channel": {"id": "C0001", "name": "general"},
            "response_url": self.t.response_url(user["id"]),
        }
        if self.t.modal is not None and self.rng.random() < 0.2:
            payload["view"] = copy.deepcopy(self.t.modal)
            payload["container"] = {"type": "view", "view_id": self.t.modal.get("id")}
        return payload

    def view_submission(self) -> Json:
        view: Json = copy.deepcopy(self.t.modal) if self.t.modal else {"id": "V1", "blocks": []}
        view["callback_id"] = self.rng.choice([blocks.CALLBACK_SEARCH_MODAL] * 5 + ["other"])
        values: Json = {}
        for block in view.get("blocks", []):
            element = block.get("element") or {}
            if block.get("type") != "input" or "action_id" not in element:
                continue
            state: Json = {"type": element.get("type")}
            choice = self.rng.randrange(6)
            if choice == 0:
                state["value"] = hostile_text(self.rng)
            elif choice == 1:
                state["selected_option"] = {"value": hostile_text(self.rng)}
            elif choice == 2:
                state["selected_date"] = self.rng.choice(["2024-02-30", "0000-00-00", "2024-05-01"])
            elif choice == 3:
                state["selected_time"] = self.rng.choice(["25:61", "17:00", "x"])
            elif choice == 4:
                state["selected_date_time"] = self.rng.choice([10**400, -1, 1_700_000_000, "x"])
            values.setdefault(block.get("block_id"), {})[element["action_id"]] = state
        view["state"] = {"values": values}
        view["private_metadata"] = self.rng.choice(
            [
                view.get("private_metadata", ""),
                "",
                "{",
                '{"tz": "Mars/Base"}',
                hostile_text(self.rng),
            ]
        )
        return {
            "type": "view_submission",
            "team": {"id": "T0001", "domain": "fake"},
            "user": self.user(),
            "api_app_id": "A0001",
            "token": "verification-token",
            "trigger_id": f"{self.rng.randrange(10**6)}.T0001.fuzz",
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def shortcut(self) -> Json:
        return {
            "type": "shortcut",
            "token": "verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": "T0001", "domain": "fake"},
            "user": self.user(),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": self.rng.choice([blocks.CALLBACK_SHORTCUT_SEARCH] * 4 + ["other"]),
            "trigger_id": f"{self.rng.randrange(10**6)}.T0001.fuzz",
        }

    def message_action(self) -> Json:
        user = self.user()
        text = self.rng.choice(["Call (732) 555-0100", "+44 20 7946 0958 or 732-555-0199", ""])
        return {
            "type": "message_action",
            "token": "verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": "T0001", "domain": "fake"},
            "user": user,
            "channel": {"id": "C0001", "name": "general"},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": self.rng.choice([blocks.CALLBACK_MESSAGE_SHORTCUT] * 4 + ["other"]),
            "trigger_id": f"{self.rng.randrange(10**6)}.T0001.fuzz",
            "message_ts": "1.000001",
            "message": {
                "type": "message",
                "text": text + " " + hostile_text(self.rng),
                "ts": "1.000001",
            },
            "response_url": self.t.response_url(user["id"]),
        }

    def event(self) -> Json:
        kind = self.rng.choice(
            ["app_home_opened"] * 4 + ["app_uninstalled", "tokens_revoked", "message", "x"]
        )
        event: Json = {
            "type": kind,
            "user": self.rng.choice(USERS),
            "channel": "D0MEMBER1",
            "tab": "home",
        }
        if self.rng.random() < 0.1:
            return {"type": "url_verification", "token": "t", "challenge": hostile_text(self.rng)}
        return {
            "token": "verification-token",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{self.rng.randrange(10**9)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": "U0BOT0001", "is_bot": True}],
        }

    # ---- encoding ------------------------------------------------------------------------
    def slack_body(self) -> tuple[str, bytes, bytes]:
        """(family, body, content type) for POST /slack/events."""
        makers: list[tuple[str, Callable[[], Json]]] = [
            ("command", self.command),
            ("block_actions", self.block_actions),
            ("view_submission", self.view_submission),
            ("shortcut", self.shortcut),
            ("message_action", self.message_action),
            ("event", self.event),
        ]
        family, make = self.rng.choices(makers, weights=[30, 25, 12, 8, 10, 10])[0]
        payload = make()
        if self.rng.random() < 0.6:
            payload = mutate(payload, self.rng, self.rng.choice([0.05, 0.2, 0.5]))
        if family == "command":
            pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in payload.items()]
            if self.rng.random() < 0.1:
                pairs += [("user_id", self.rng.choice(USERS)), ("text", hostile_text(self.rng))]
            body = urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()
            return family, body, FORM
        text = json.dumps(payload)
        if family == "event":
            return family, text.encode(), JSON
        return family, urlencode({"payload": text}).encode(), FORM

    def garbage_body(self) -> tuple[str, bytes, bytes]:
        kind = self.rng.randrange(10)
        bodies: list[tuple[bytes, bytes]] = [
            (bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 400))), FORM),
            (b"\xff\xfe" + "payload={}".encode("utf-16-le"), FORM),
            (b"payload=" + quote("{" * self.rng.randint(1, 5)).encode(), FORM),
            (b"payload=" + quote(deep_json(self.rng.choice([2000, 50_000]))).encode(), FORM),
            (json.dumps(hostile_value(self.rng)).encode(), JSON),
            (b"[" * 100_000 + b"]" * 100_000, JSON),
            (b"payload=%ZZ&payload=&&==&%00=%ff", FORM),
            (b'{"type": "block_actions", "actions": ' + b"9" * 5000 + b"}", JSON),
            (
                b"payload=" + quote(json.dumps({"type": "block_actions", "user": "U1"})).encode(),
                FORM,
            ),
            (b"command=/recordings&text=" + quote("\ud800", errors="surrogatepass").encode(), FORM),
        ]
        body, content_type = bodies[kind]
        return f"garbage:{kind}", body, content_type

    def sign(self, body: bytes, timestamp: str | None = None) -> list[Header]:
        """Slack's signature over the raw bytes (which need not be UTF-8)."""
        stamp = (str(int(time.time())) if timestamp is None else timestamp).encode()
        mac = hmac.new(self.secret, b"v0:" + stamp + b":" + body, hashlib.sha256).hexdigest()
        return [(b"x-slack-request-timestamp", stamp), (b"x-slack-signature", f"v0={mac}".encode())]

    def bad_signature(self, body: bytes) -> list[Header]:
        now = int(time.time())
        options: list[list[Header]] = [
            [],
            [(b"x-slack-signature", b"v0=" + b"0" * 64)],
            [(b"x-slack-request-timestamp", str(now).encode())],
            [
                (b"x-slack-request-timestamp", self.garbage_timestamp()),
                (b"x-slack-signature", b"v0=abc"),
            ],
            self.sign(body, str(now - 301)),
            self.sign(body, str(now + 400)),
            self.sign(body, self.garbage_timestamp().decode("utf-8", "replace")),
            [
                (b"x-slack-request-timestamp", str(now).encode()),
                (b"x-slack-signature", b"v0=\xff\xfe"),
            ],
            [*self.sign(body), (b"x-slack-signature", b"v0=" + b"1" * 64)],  # two signatures
            [*self.sign(body), (b"x-slack-request-timestamp", str(now).encode())],
            [
                (b"x-slack-request-timestamp", b"9" * 5000),
                (b"x-slack-signature", b"v0=" + b"a" * 8000),
            ],
            [(k, v) for k, v in self.sign(body + b"x")],  # signed over another body
        ]
        return self.rng.choice(options)

    def garbage_timestamp(self) -> bytes:
        other_digits = str(int(time.time())).translate(
            str.maketrans("0123456789", DIGITS["arabic-indic"])
        )
        return self.rng.choice(
            [b"abc", b"", b"1e3", b"-1", b"0", b"+" + str(int(time.time())).encode(), b"1_7",
             other_digits.encode(), DIGITS["superscript"].encode(), b"9" * 5000, b" 17 ", b"\xff",
             b"NaN"]
        )  # fmt: skip

    def content_type(self, natural: bytes) -> list[Header]:
        choice = self.rng.randrange(10)
        if choice < 6:
            return [(b"content-type", natural)]
        return self.rng.choice(
            [
                [],
                [(b"content-type", JSON if natural == FORM else FORM)],
                [(b"content-type", b"multipart/form-data; boundary=x")],
                [(b"content-type", natural), (b"content-type", b"text/plain")],
                [(b"content-type", natural + b"; charset=\xff\xfe")],
            ]
        )

    def noise_headers(self) -> list[Header]:
        headers: list[Header] = []
        if self.rng.random() < 0.15:
            headers.append((b"x-slack-retry-num", self.rng.choice([b"1", b"abc", b"9" * 500])))
        if self.rng.random() < 0.08:
            headers.append((b"x-junk", b"v" * self.rng.choice([2000, 12_000])))
        if self.rng.random() < 0.05:
            headers.append((b"x-binary", bytes(range(0x80, 0x100))))
        if self.rng.random() < 0.03:
            headers.append((b"x-big", b"w" * 70_000))  # past the server's header limit
        return headers

    # ---- probes -------------------------------------------------------------------------
    def slack_probe(self, *, signed: bool) -> Probe:
        family, body, content_type = (
            self.garbage_body() if self.rng.random() < 0.12 else self.slack_body()
        )
        path = "/slack/events"
        if self.rng.random() < 0.05:
            path = self.rng.choice(["/slack/events/", "/SLACK/EVENTS", "/slack/events?x=%ff&y"])
        headers = self.content_type(content_type) + self.noise_headers()
        headers += self.sign(body) if signed else self.bad_signature(body)
        method = "POST" if self.rng.random() > 0.03 else self.rng.choice(["PUT", "GET", "PATCH"])
        return Probe(family, method, path, headers, body, signed)

    def other_probe(self) -> Probe:
        """Routes that Slack's signature does not cover: health, links, OAuth and Connect."""
        rng = self.rng
        kind = rng.randrange(6)
        headers = self.noise_headers()
        if kind == 0:
            query = rng.choice(
                ["", "?x=1", "?" + quote(hostile_text(rng), errors="surrogatepass")[:3000]]
            )
            return Probe(
                "healthz", rng.choice(["GET", "GET", "HEAD", "POST"]), "/healthz" + query, headers
            )
        if kind == 1:
            token = rng.choice(
                [hostile_text(rng)[:500], "a.b.c", "", "%00", "..%2f..%2f", "x" * 5000,
                 "eyJlIjoxfQ.AAAA", "eyJlIjo=.=", "e30.e30", "%ff.%fe"]
            )  # fmt: skip
            return Probe(
                "links",
                "GET",
                "/links/" + quote(token, safe="%/.", errors="surrogatepass") + "/f.mp3",
                headers,
            )
        if kind == 2:
            params = {"code": hostile_text(rng)[:200], "state": hostile_text(rng)[:2000]}
            for key in list(params):
                if rng.random() < 0.3:
                    del params[key]
            if rng.random() < 0.3:
                params["error"] = hostile_text(rng)[:200]
            query = urlencode(params, errors="surrogatepass")
            return Probe("connect callback", "GET", "/vbc/oauth/callback?" + query, headers)
        if kind == 3:
            query = urlencode(
                {"code": hostile_text(rng)[:200], "state": hostile_text(rng)[:500]},
                errors="surrogatepass",
            )
            return Probe("oauth redirect", "GET", "/slack/oauth_redirect?" + query, headers)
        if kind == 4:
            return Probe("oauth install", "GET", "/slack/install", headers)
        path = rng.choice(
            ["/", "/nowhere", "/slack", "/links", "/healthz/x", "/%2e%2e/", "/" + "a" * 3000]
        )
        return Probe(
            "unknown",
            rng.choice(["GET", "POST", "DELETE", "OPTIONS"]),
            path,
            headers,
            b"x" * rng.randint(0, 10),
        )

    def probe(self, *, signed: bool) -> Probe:
        if self.rng.random() < (0.15 if signed else 0.4):
            return self.other_probe()
        return self.slack_probe(signed=signed)


POST = b"POST /slack/events HTTP/1.1\r\nHost: b\r\n"
RAW_REQUESTS = [  # framing the HTTP server itself must refuse, without our app in the way
    POST + b"Content-Length: -1\r\n\r\n",
    POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: b\r\nBad Header\r\n\r\n",
    b"GET /he\x00althz HTTP/1.1\r\nHost: b\r\n\r\n",
    b"GET /healthz?\xff HTTP/1.1\r\nHost: b\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: b\r\nX: \xff\xfe\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    POST + b"Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
]  # fmt: skip
