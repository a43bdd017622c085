#!/usr/bin/env python3
"""Cloutly REST API simulator for cloutly-pipe's end-to-end tests and benchmarks.

Serves the three endpoints of the vendor page (/work/shared/seeds/cloutly-rest-api.txt)
under /api/v1 on 127.0.0.1 only, plus the misbehaviour the client must survive:
rate limiting, 429 storms, 5xx, connection resets before and after the invite was
accepted, slow answers, truncated and malformed bodies; for GET /reviews also either
reading of `offset` (page number or record offset) and new reviews arriving while
an export pages through. Every request is written to an
NDJSON log (--log) so that tests can assert on what the server actually saw and did.

Python 3 standard library only. Layout of this file:
  1. constants and small helpers
  2. command-line parsing
  3. shared state (one lock): counters, rate limiter, fault picker, log writer
  4. review generator (pre-generated and pre-serialised once, for speed)
  5. request handler (routing, validation, fault execution)
  6. main: bind, optional TLS, port file, signal handling

Run `python3 cloutly_sim.py --help` for the flags.

Log line (--log), one per request, written just before the response bytes or the reset
go out (so a client that has its answer finds the line already there):
  {"seq", "t_arrival", "t_done", "method", "path", "query", "status" (null: reset or
   never answered), "accepted" (invite processed and contact created), "fault",
   "in_flight" (requests being handled at arrival, this one included), "conn",
   "conn_request" (1-based index on its connection), "body" (parsed JSON, {"_raw": text}
   when not JSON, null when empty), "api_key_ok", "inserted" (ids of reviews created
   on this request's arrival, GET /reviews with --insert-every only)}
The API key itself is never written anywhere.

GET /_sim/reviews (outside /api/v1, no key, never logged or counted) answers every
review as NDJSON in ascending createdAt order, each line the exact bytes that
GET /reviews serves: what tests compare an export with.

GET /_sim/counters (outside /api/v1, no key, never logged or counted) answers the
live counters as one JSON object: "requests" (arrived so far), "in_flight" (being
handled now), "posts" (invite POSTs that passed the key check), "accepted" (contacts
created), "gets", "held" (requests waiting on --hold-file), "duplicates" (contacts
accepted again with an email and phone already accepted: a second invite to one
person), "limited" (429s answered by --rate-limit). Tests wait on these
instead of sleeping: "three requests are in flight" is a fact to poll, not a guess.
With --hold-file PATH, every request waits before its answer (or its reset) while
PATH exists, so a test can keep requests in flight for as long as it needs.
"""

import argparse
import bisect
import collections
import datetime
import email.utils
import hmac
import http
import http.server
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlsplit

# --------------------------------------------------------------------------
# 1. Constants and helpers
# --------------------------------------------------------------------------

# Never configurable: the simulator must not be reachable from anywhere else.
HOST = "127.0.0.1"
API_PREFIX = "/api/v1"
MAX_BODY = 1024 * 1024  # bodies over 1 MiB get 413
SMS_RENEWS = "2026-12-28T16:40:27.243Z"

DEFAULT_BUSINESSES = [
    ("44271176-7053-4534-ad6f-b38d132d341e", "Main Street Cafe", ["google", "facebook"]),
    ("5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4", "Bondi", ["google"]),
    ("634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5", "Surry Hills", ["google", "trustpilot"]),
]
DEFAULT_CAMPAIGNS = [
    "2c07094a-ed58-4cf2-9595-cf1b1d303d9d",
    "9b1d3f6e-8c2a-4e5b-a7d4-3f0e2c1b5a69",
]

# Faults that answer (or refuse to answer) without looking at the invite, and faults
# that first accept the invite (contact created, SMS counted) and then misbehave.
# "400" stands for a refusal the client could not have foreseen (the real API
# may check more than the vendor page says).
REFUSING_FAULTS = ("400", "500", "502", "503", "504", "429", "reset_before")
ACCEPTING_FAULTS = ("reset_after", "timeout", "truncated", "malformed")
FAULT_KINDS = REFUSING_FAULTS + ACCEPTING_FAULTS
# Faults of GETs (--get-fault and friends): a GET changes nothing, so there is no
# accepted/refused split. "oversized" answers 200 with a body over 8 MiB.
GET_FAULT_KINDS = ("429", "500", "502", "503", "504", "reset", "truncated", "malformed",
                   "timeout", "oversized")
OVERSIZED_BYTES = 9 * 1024 * 1024

# fullmatch, not match with "$": "$" would let a trailing newline through.
PHONE_RE = re.compile(r"\+[1-9][0-9]{6,14}")

DIGITS_RE = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() accepts "²"

JSON_CT = "application/json; charset=utf-8"


_PHRASES = {int(s): s.phrase for s in http.HTTPStatus}  # enum lookups are slow-ish


def phrase(status):
    return _PHRASES.get(status, "Unknown")


_date_cache = [0, ""]


def http_date():
    """Date header value, formatted at most once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[1] = email.utils.formatdate(now, usegmt=True)
        _date_cache[0] = now
    return _date_cache[1]


def dumps_compact(obj):
    # ensure_ascii=False: the real API answers UTF-8, and the client must cope with it.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message_body(text):
    return dumps_compact({"message": text})


def describe_value(value):
    """How a rejected value appears in a 400 message: strings verbatim, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def iso_ms(dt):
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.") + ms, at a third of the cost
    # (it runs twice per generated review).
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond // 1000)


# --------------------------------------------------------------------------
# 2. Command-line parsing
# --------------------------------------------------------------------------

def _business_arg(text):
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("expected ID:NAME[:SOURCE,SOURCE...]")
    sources = [s for s in parts[2].split(",") if s] if len(parts) == 3 else ["google"]
    return (parts[0], parts[1], sources or ["google"])


def _fault_kind(kind):
    if kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            "unknown fault %r (one of: %s)" % (kind, ", ".join(FAULT_KINDS)))
    return kind


def _n_eq_kind(text):
    n, sep, kind = text.partition("=")
    if not sep or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError("expected N=KIND with N >= 1")
    return (int(n), _fault_kind(kind))


def _kind_eq_prob(text):
    kind, sep, p = text.partition("=")
    try:
        prob = float(p)
    except ValueError:
        prob = -1.0
    if not sep or not 0.0 <= prob <= 1.0:
        raise argparse.ArgumentTypeError("expected KIND=P with 0 <= P <= 1")
    return (_fault_kind(kind), prob)


def _get_fault_kind(kind):
    if kind not in GET_FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            "unknown GET fault %r (one of: %s)" % (kind, ", ".join(GET_FAULT_KINDS)))
    return kind


def _get_n_eq_kind(text):
    n, sep, kind = text.partition("=")
    if not sep or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError("expected N=KIND with N >= 1")
    return (int(n), _get_fault_kind(kind))


def _get_kind_eq_prob(text):
    kind, sep, p = text.partition("=")
    try:
        prob = float(p)
    except ValueError:
        prob = -1.0
    if not sep or not 0.0 <= prob <= 1.0:
        raise argparse.ArgumentTypeError("expected KIND=P with 0 <= P <= 1")
    return (_get_fault_kind(kind), prob)


def _every(text):
    k, sep, m = text.partition(":")
    m = m if sep else "1"
    if not k.isdigit() or not m.isdigit() or int(k) < 1 or int(m) < 1:
        raise argparse.ArgumentTypeError("expected K or K:M with K, M >= 1")
    return (int(k), int(m))


def _storm(text):
    start, sep, count = text.partition(":")
    if not sep or not start.isdigit() or not count.isdigit() or int(start) < 1:
        raise argparse.ArgumentTypeError("expected START:COUNT with START >= 1")
    return (int(start), int(count))


def _nonneg_int(text):
    try:
        v = int(text)
    except ValueError:
        v = -1
    if v < 0:
        raise argparse.ArgumentTypeError("expected an integer >= 0")
    return v


def _pos_float(text):
    try:
        v = float(text)
    except ValueError:
        v = 0.0
    if not v > 0:
        raise argparse.ArgumentTypeError("expected a number > 0")
    return v


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one worth showing."""

    def _get_help_string(self, action):
        if action.default in (None, [], False):
            return action.help
        return super()._get_help_string(action)


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="cloutly_sim.py",
        description="Cloutly REST API v1 simulator (listens on 127.0.0.1 only).",
        epilog=(
            "Fault kinds: 400 500 502 503 504 429 reset_before (not accepted) and "
            "reset_after timeout truncated malformed (invite accepted first). "
            "These faults apply to POST /api/v1/send-review-invite, numbered 1.. over POSTs "
            "that passed the x-api-key check, in arrival order (GETs have their own, above). Precedence when several "
            "match one POST: --fault, --storm-429, --fault-conn-request, --fault-rate. "
            "A rate-limited POST still consumes its number (it gets the 429 instead). "
            "Accepting faults apply only to valid invites; an invalid one gets its 400/404."),
        formatter_class=_HelpFormatter)
    g = p.add_argument_group("listening")
    g.add_argument("--port", type=_nonneg_int, default=0,
                   help="TCP port on 127.0.0.1; 0 picks a free one")
    g.add_argument("--port-file", metavar="PATH",
                   help="once listening, write the port number here (temp file + rename)")
    g.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain")
    g.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")

    g = p.add_argument_group("API data")
    g.add_argument("--api-key", default="test-key", metavar="KEY",
                   help="expected x-api-key value (never logged)")
    g.add_argument("--business", action="append", type=_business_arg, metavar="ID:NAME",
                   help="a known business, repeatable, replaces the defaults; optional "
                        "third part ':src1,src2' sets its review sources (default google)")
    g.add_argument("--campaign", action="append", metavar="ID",
                   help="a known campaign id, repeatable, replaces the defaults")
    g.add_argument("--sms-limit", type=_nonneg_int, default=1000, metavar="N",
                   help="initial usage.smsLimitsLeft; one less per accepted invite with a phone")
    g.add_argument("--reviews", type=_nonneg_int, default=30, metavar="N",
                   help="number of generated reviews served by GET /reviews")
    g.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed for the generated reviews and for --fault-rate draws")

    g = p.add_argument_group("GET /reviews")
    g.add_argument("--offset-mode", choices=("page", "record", "ignore"), default="page",
                   help="how `offset` is read: a page number (the vendor page), a record "
                        "offset (what third-party descriptions say), or not at all (a broken "
                        "server that always answers the first page)")
    g.add_argument("--insert-every", type=_every, metavar="K[:M]",
                   help="on the arrival of every K-th GET /reviews (valid key), M new reviews "
                        "(default 1) become the newest, before that request is answered")
    g.add_argument("--insert-max", type=_nonneg_int, default=1000, metavar="N",
                   help="stop inserting after N reviews")
    g.add_argument("--pretty", action="store_true",
                   help="serve /reviews pages pretty-printed over several lines")

    g = p.add_argument_group("behaviour")
    g.add_argument("--latency-ms", type=_nonneg_int, default=0, metavar="N",
                   help="delay every response (and every reset) by N ms")
    # Latency that varies as a real server's does (issue 13, item 4): an
    # exponential spread, its mean N ms, on top of --latency-ms, drawn from
    # a seeded generator so a benchmark run can be repeated.
    g.add_argument("--latency-exp-ms", type=_nonneg_int, default=0, metavar="N",
                   help="delay every response by an exponentially distributed time of mean "
                        "N ms (on top of --latency-ms)")
    g.add_argument("--latency-seed", type=int, default=13, metavar="S",
                   help="seed of --latency-exp-ms's generator")
    g.add_argument("--rate-limit", type=_nonneg_int, default=0, metavar="N",
                   help="allow N requests per --window (sliding, over all requests with a "
                        "valid key); 0 = unlimited")
    g.add_argument("--window", type=_pos_float, default=60.0, metavar="S",
                   help="rate-limit window in seconds")
    g.add_argument("--retry-after", type=_nonneg_int, metavar="SECONDS",
                   help="add Retry-After to every 429 (rate limit, storm, 429 fault)")
    g.add_argument("--retry-after-http-date", action="store_true",
                   help="send Retry-After as an HTTP date (now + SECONDS) instead of seconds")
    g.add_argument("--retry-after-raw", metavar="VALUE",
                   help="send this literal Retry-After on every 429 (hostile values: "
                        "'inf', '0x10', a date in year 9999)")
    g.add_argument("--echo-key", action="store_true",
                   help="quote the request's x-api-key back in every error message and an "
                        "X-Echo-Key header (a careless server)")
    g.add_argument("--log", metavar="PATH",
                   help="NDJSON request log, one line per finished request (appended)")

    g = p.add_argument_group("API shape")
    g.add_argument("--drop-source-contact-id", action="store_true",
                   help="answer invites with contact.sourceContactId null, as a server that "
                        "ignores the field would (what `doctor --probe-invite` detects)")

    g = p.add_argument_group("fault injection (POST /send-review-invite)")
    g.add_argument("--fault", action="append", type=_n_eq_kind, default=[], metavar="N=KIND",
                   help="the Nth POST gets KIND (repeatable)")
    g.add_argument("--fault-rate", action="append", type=_kind_eq_prob, default=[],
                   metavar="KIND=P",
                   help="every POST gets KIND with probability P, drawn from "
                        "random.Random(--seed) in arrival order (repeatable)")
    g.add_argument("--fault-conn-request", action="append", type=_n_eq_kind, default=[],
                   metavar="K=KIND",
                   help="a POST that is the K-th request on its connection gets KIND "
                        "(repeatable)")
    g.add_argument("--storm-429", type=_storm, metavar="START:COUNT",
                   help="POSTs START..START+COUNT-1 all get 429")
    g.add_argument("--slow-ms", type=_nonneg_int, default=5000, metavar="N",
                   help="extra delay of the 'timeout' fault before its 200")
    g.add_argument("--hold-file", metavar="PATH",
                   help="while PATH exists, every request (after its invite was accepted, "
                        "if it was) waits before its answer: tests create and remove it to "
                        "keep requests in flight without guessing at timing")

    g = p.add_argument_group(
        "fault injection (GET /reviews and /businesses)",
        "GETs that passed the x-api-key check are numbered 1.. in arrival order, apart "
        "from the POSTs. Kinds: " + " ".join(GET_FAULT_KINDS) + ". Precedence: "
        "--get-fault, --get-storm-429, --get-fault-rate.")
    g.add_argument("--get-fault", action="append", type=_get_n_eq_kind, default=[],
                   metavar="N=KIND", help="the Nth GET gets KIND (repeatable)")
    g.add_argument("--get-fault-rate", action="append", type=_get_kind_eq_prob, default=[],
                   metavar="KIND=P",
                   help="every GET gets KIND with probability P, drawn from "
                        "random.Random(--seed) in arrival order (repeatable)")
    g.add_argument("--get-storm-429", type=_storm, metavar="START:COUNT",
                   help="GETs START..START+COUNT-1 all get 429")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    return args


# --------------------------------------------------------------------------
# 3. Shared state
# --------------------------------------------------------------------------

class State:
    """Everything shared between handler threads, behind one lock.

    One lock (not several) so that "arrival order" is a single total order: the POST
    number, the fault draw and the rate-limit decision of a request are taken together.
    """

    def __init__(self, args):
        self.lock = threading.Lock()
        self.api_key = args.api_key.encode("utf-8")
        businesses = args.business or DEFAULT_BUSINESSES
        self.businesses = {b[0]: b for b in businesses}
        self.campaigns = set(args.campaign or DEFAULT_CAMPAIGNS)
        self.businesses_body = dumps_compact(
            [{"id": i, "name": n, "sources": list(s)} for i, n, s in businesses])

        self.sms_left = args.sms_limit
        self.contacts_created = 0
        # Who was invited: the same person accepted twice is a duplicate (issue 16's
        # workers on one account must never make one).
        self.invited = set()
        self.duplicates = 0
        self.limited_n = 0
        self.drop_source_contact_id = args.drop_source_contact_id

        self.seq = 0
        self.conn_seq = 0
        self.in_flight = 0
        self.post_n = 0

        self.rate_limit = args.rate_limit
        self.window = args.window
        self.allowed = collections.deque()  # monotonic times of allowed requests

        self.retry_after = args.retry_after
        self.retry_after_date = args.retry_after_http_date
        self.retry_after_raw = args.retry_after_raw
        self.echo_key = args.echo_key
        self.latency = args.latency_ms / 1000.0
        self.latency_exp = args.latency_exp_ms / 1000.0
        self.latency_rng = random.Random(args.latency_seed)
        self.slow = args.slow_ms / 1000.0
        self.hold_file = args.hold_file
        self.held = 0

        self.fixed_faults = dict(args.fault)
        self.conn_faults = dict(args.fault_conn_request)
        self.rate_faults = list(args.fault_rate)
        self.fault_rng = random.Random(args.seed)
        self.storm = args.storm_429

        self.reviews = ReviewStore(businesses, args.reviews, args.seed)
        self.offset_mode = args.offset_mode
        self.insert_every = args.insert_every
        self.insert_left = args.insert_max
        self.pretty = args.pretty
        self.reviews_n = 0

        self.get_n = 0
        self.get_fixed_faults = dict(args.get_fault)
        self.get_rate_faults = list(args.get_fault_rate)
        self.get_fault_rng = random.Random("get:%d" % args.seed)
        self.get_storm = args.get_storm_429

        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None

    # -- counters ---------------------------------------------------------
    def new_connection(self):
        with self.lock:
            self.conn_seq += 1
            return self.conn_seq

    def arrive(self):
        with self.lock:
            self.seq += 1
            self.in_flight += 1
            return self.seq, self.in_flight

    # -- admission: POST numbering, fault choice and rate limit in one step -----
    def admit(self, is_invite_post, conn_request, is_get=False):
        """Returns (rate_limited, fault) for a request whose api key was valid."""
        with self.lock:
            fault = None
            if is_get:
                fault = self._get_fault()
            if is_invite_post:
                self.post_n += 1
                n = self.post_n
                # Draw for every POST, whatever else applies, so that draw k always
                # belongs to POST k and a run is reproducible from the seed alone.
                drawn = None
                for kind, prob in self.rate_faults:
                    if self.fault_rng.random() < prob and drawn is None:
                        drawn = kind
                if n in self.fixed_faults:
                    fault = self.fixed_faults[n]
                elif self.storm and self.storm[0] <= n < self.storm[0] + self.storm[1]:
                    fault = "429"
                elif conn_request in self.conn_faults:
                    fault = self.conn_faults[conn_request]
                else:
                    fault = drawn
            if self.rate_limit:
                now = time.monotonic()
                edge = now - self.window
                while self.allowed and self.allowed[0] <= edge:
                    self.allowed.popleft()
                if len(self.allowed) >= self.rate_limit:
                    return True, fault
                self.allowed.append(now)
            return False, fault

    def _get_fault(self):
        """The fault of the next GET (lock held); same reproducibility rule as POSTs."""
        self.get_n += 1
        n = self.get_n
        drawn = None
        for kind, prob in self.get_rate_faults:
            if self.get_fault_rng.random() < prob and drawn is None:
                drawn = kind
        if n in self.get_fixed_faults:
            return self.get_fixed_faults[n]
        if self.get_storm and self.get_storm[0] <= n < self.get_storm[0] + self.get_storm[1]:
            return "429"
        return drawn

    def reviews_page(self, source, show, business_id, descending, offset, limit):
        """(total, body bytes, ids inserted on this arrival) for one GET /reviews."""
        with self.lock:
            self.reviews_n += 1
            inserted = []
            if self.insert_every and self.reviews_n % self.insert_every[0] == 0:
                for _ in range(min(self.insert_every[1], self.insert_left)):
                    inserted.append(self.reviews.insert_newest())
                    self.insert_left -= 1
            inserted += controls_on_get(self, self.reviews_n)  # /_sim/control "at_get"
            # Under the lock: a page is one consistent snapshot of the list.
            picked = self.reviews.select(source, show, business_id, descending)
        start = {"page": offset * limit, "record": offset, "ignore": 0}[self.offset_mode]
        body = b'{"total":%d,"reviews":[%s]}' % (len(picked),
                                                  b",".join(picked[start:start + limit]))
        if self.pretty:
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False).encode("utf-8")
        return len(picked), body, inserted

    def note_invited(self, contact):
        key = (contact["email"], contact["phoneNumber"])
        with self.lock:
            if key in self.invited:
                self.duplicates += 1
            self.invited.add(key)

    def create_contact(self, has_phone):
        with self.lock:
            self.contacts_created += 1
            if has_phone and self.sms_left > 0:
                self.sms_left -= 1
            return self.sms_left

    def retry_after_header(self):
        if self.retry_after_raw is not None:
            return [("Retry-After", self.retry_after_raw)]
        if self.retry_after is None:
            return []
        if self.retry_after_date:
            value = email.utils.formatdate(time.time() + self.retry_after, usegmt=True)
        else:
            value = str(self.retry_after)
        return [("Retry-After", value)]

    # -- log ----------------------------------------------------------------
    def finish(self, record):
        """Leave the in-flight set and write the record's log line."""
        line = None
        if self.log_file is not None:
            line = json.dumps(record, separators=(",", ":")) + "\n"
        with self.lock:
            self.in_flight -= 1
            if line is not None and self.log_file is not None:
                self.log_file.write(line)
                self.log_file.flush()

    def close_log(self):
        with self.lock:
            if self.log_file is not None:
                self.log_file.flush()
                self.log_file.close()
                self.log_file = None


# --------------------------------------------------------------------------
# 4. Reviews
# --------------------------------------------------------------------------

_FIRST = ["Tim", "Zoë", "José", "Seán", "Ngaio", "Priya", "Mei", "Oluwaseun", "Åsa",
          "Dmitri", "Chloé", "Liam", "Aroha", "Kenji", "Fatima", "李"]
_LAST = ["Crowel", "O'Brien", "Núñez", "Smith", "Nguyen", "Müller", "Van der Berg",
         "Papadopoulos", "Kowalski", "Ōtake", "小龙", "Williams"]
_TEXTS = [
    "Fantastic. Couldn't be more satisfied. The whole process was Simple, Easy, Efficient "
    "and the demonstrated true professionalism by thinking on their feet and finding a way "
    "to make it happen. Highly recommended.",
    "Great coffee, friendly staff ☕️👍",
    'The "flat white" was, honestly, the best in town.',
    "Line one of my review.\nLine two, after a newline.\n\nAnd a third, after a blank line.",
    "Service was slow, but the food made up for it; 4 stars.",
    "Très bien! Le café était délicieux. Merci 🙏",
    "素晴らしいサービスでした。また来ます！",
    "=HYPERLINK(\"http://example.com\",\"click me\")",
    "+61 2 9999 9999 call me back please",
    "-- not impressed --",
    "@manager please look at table 7, the chair is broken",
    "Comma, separated, values, everywhere, \"quoted\" too",
    "Emoji only: 😀😃😄😁🤩🎉",
    "Tab\tseparated\tthoughts and a carriage return\r\nhere",
    "Waited 20 mins… worth it 💯",
    "Not great. Cold food & rude staff 😠",
    "",
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1,2)",
    "\t=tab first",
    "\r=carriage return first",
    "=cmd|' /C calc'!A0",
    "Backslash \\ and a slash / and a bell \u0007 in one",
]
_COMMENTS = [
    "Thank you for the wonderful feedback! We're glad you enjoyed it :) Thanks Tara",
    "Thanks, we'll pass this on to the team.",
    "Sorry to hear that — please get in touch at hello@example.com so we can make it right.",
    "Merci beaucoup! 🙏",
    'Glad you liked the "flat white", see you soon,\nThe team',
]


class ReviewStore:
    """Generates the reviews once and keeps each one serialised, so that a page is a
    list slice plus a join: cheap enough for thousands of pages per second."""

    def __init__(self, businesses, count, seed):
        # A separate generator from the fault draws, seeded by a string (stable across
        # Python versions: str seeds go through SHA-512).
        rng = random.Random("cloutly-sim-reviews:%d" % seed)
        when = datetime.datetime(2021, 1, 4, 9, 0, 0, tzinfo=datetime.timezone.utc)
        reviews = []
        for i in range(count):
            when += datetime.timedelta(minutes=rng.randint(30, 4 * 24 * 60))
            bid, bname, sources = businesses[rng.randrange(len(businesses))]
            reviews.append(self._one(rng, i, when, bid, bname, sources))
        # Ascending by createdAt, ties broken by id, so both orders are total.
        reviews.sort(key=lambda r: (r["createdAt"], r["id"]))
        self.reviews = reviews
        # UTF-8 bytes, not str: encoding a page of emoji-bearing (UCS-4) text on every
        # request would cost ~0.5 ms; joining bytes costs microseconds.
        self.encoded = [self._encode(r) for r in reviews]
        self._cache = {}
        self.version = 0  # bumped by every insert: cached selections go stale
        self.businesses = businesses
        self.last_when = when
        self.insert_rng = random.Random("cloutly-sim-inserts:%d" % seed)

    @staticmethod
    def _encode(r):
        """A review's bytes as served. Some carry what a client must pass through
        untouched: fields it does not know with numbers json.dumps would rewrite
        (2.50, 1E+3, -0.0, a 20-digit integer), or \\u escapes for non-ASCII text."""
        n = r["_n"]
        view = {k: v for k, v in r.items() if k != "_n"}
        enc = json.dumps(view, ensure_ascii=(n % 11 == 4), separators=(",", ":")).encode("utf-8")
        if n % 7 == 3:
            enc = enc[:-1] + (b',"x_metrics":{"score":0.850,"big":12345678901234567890,'
                              b'"exp":1E+3,"neg":-0.0,"list":[1,2.50,{"deep":null}],'
                              b'"note":"unknown to the client"},"x_tags":[]}')
        return enc

    def insert_newest(self):
        """A new review, newer than every other one; returns its id (lock held by caller)."""
        rng = self.insert_rng
        self.last_when += datetime.timedelta(minutes=rng.randint(1, 60))
        bid, bname, sources = self.businesses[rng.randrange(len(self.businesses))]
        r = self._one(rng, len(self.reviews), self.last_when, bid, bname, sources)
        self.reviews.append(r)
        self.encoded.append(self._encode(r))
        self.version += 1
        return r["id"]

    def all_ndjson(self):
        return b"".join(e + b"\n" for e in self.encoded)

    @staticmethod
    def _one(rng, i, when, bid, bname, sources):
        first = rng.choice(_FIRST)
        last = rng.choice(_LAST)
        author = "%s %s" % (first, last)
        if i % 11 == 5:
            author = 'Dan "The Man" Smith, Jr.'
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rating = rng.choices(["1", "2", "3", "4", "5"], weights=[1, 1, 2, 4, 8])[0]
        has_response = rng.random() < 0.4
        response = None
        if has_response:
            rdate = (when + datetime.timedelta(days=rng.randint(0, 5))).date().isoformat()
            response = {"name": bname, "date": rdate, "comment": rng.choice(_COMMENTS)}
        source = rng.choice(sources)
        has_video = rng.random() < 0.1
        updated = when + datetime.timedelta(seconds=rng.randint(0, 30 * 86400),
                                            milliseconds=rng.randint(0, 999))
        text = _TEXTS[i % len(_TEXTS)] if i < len(_TEXTS) else rng.choice(_TEXTS)
        show = rating in ("4", "5") and rng.random() < 0.8
        if response is not None and i % 10 == 6:
            response["comment"] = None
        return {
            "_n": i,  # generation index (not served): picks the encoding quirks
            "authorName": author if i % 13 != 7 else None,
            "businessId": bid,
            "createdAt": iso_ms(when),
            "email": ("%s.%d@example.com" % (first.lower(), i)) if rng.random() < 0.5
                     else None,
            "id": rid,
            "isArchived": rng.random() < 0.05,
            "name": author if i % 13 != 7 else None,
            "phoneNumber": ("+6141%07d" % rng.randrange(10 ** 7)) if rng.random() < 0.2
                           else None,
            "photo": ("https://cdn.example.com/photos/%d.jpg" % i) if rng.random() < 0.6
                     else None,
            # "Responses are read tolerantly: rating as a string or a number".
            "rating": int(rating) if i % 5 == 2 else rating,
            "showOnWidget": show,
            "response": response,
            "shield": rng.random() < 0.1,
            "source": source,
            "sourceFeedbackId": "%024x" % rng.getrandbits(96),
            "status": "Responded" if response else "Pending",
            "reviewUrl": ("https://example.com/%s/review/%s" % (source, rid))
                         if rng.random() < 0.7 else None,
            "text": text if i % 17 != 9 else None,
            "type": "video" if has_video else None,
            "videoRef": "/uploads/%s/%s.mp4" % (bid[:8], rid[:8]) if has_video else None,
            "gifRef": "/uploads/%s/%s.gif" % (bid[:8], rid[:8]) if has_video else None,
            "updatedAt": iso_ms(updated),
        }

    def select(self, source, show_on_widget, business_id, descending):
        """Encoded reviews matching the filters, in the requested order (cached)."""
        key = (source, show_on_widget, business_id, descending, self.version)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        picked = [enc for r, enc in zip(self.reviews, self.encoded)
                  if (source is None or r["source"] == source)
                  and (show_on_widget is None or r["showOnWidget"] == show_on_widget)
                  and (business_id is None or r["businessId"] == business_id)]
        if descending:
            picked.reverse()
        if len(self._cache) >= 4096:  # bounded: query values come from clients
            self._cache.clear()
        self._cache[key] = picked  # a racing duplicate computation is harmless
        return picked


# --------------------------------------------------------------------------
# 5. Request handler
# --------------------------------------------------------------------------

class Abort(Exception):
    """Internal: the response has been dealt with (sent, or connection dropped)."""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "cloutly-sim/1"
    sys_version = ""
    # Headers and body go out in one write anyway; TCP_NODELAY also avoids a 40 ms
    # Nagle/delayed-ACK stall on any second write.
    disable_nagle_algorithm = True

    # -- connection level ---------------------------------------------------
    def setup(self):
        super().setup()
        self.state = self.server.state
        self.conn_id = self.state.new_connection()
        self.conn_requests = 0

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            # The handshake runs here, in the connection's own thread, rather than in
            # accept(), so a stalled client cannot block the accept loop.
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.log_error("TLS handshake failed: %s", e)
                return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass

    def log_message(self, fmt, *args):
        pass  # per-request stderr lines cost throughput; the NDJSON log is the record

    def log_error(self, fmt, *args):
        sys.stderr.write("cloutly-sim: %s\n" % (fmt % args))

    def send_error(self, code, message=None, explain=None):
        # Protocol errors caught by BaseHTTPRequestHandler (bad request line, header too
        # long, unsupported method): JSON like everything else, then close.
        self.close_connection = True
        try:
            self._write(code, message_body(message or phrase(code)))
        except OSError:
            pass

    def handle_expect_100(self):
        # Do not invite a body we will refuse: the handler answers 413 and closes.
        try:
            if int(self.headers.get("Content-Length", "0")) > MAX_BODY:
                return True
        except ValueError:
            return True
        return super().handle_expect_100()

    # Every method goes through one dispatcher; unknown method/path pairs get 404.
    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    # -- response primitives -------------------------------------------------
    def _write(self, status, body, headers=(), body_bytes=None):
        """One write of status line + headers + body. body_bytes < len(body) sends a
        truncated body under the full Content-Length."""
        head = ["HTTP/1.1 %d %s\r\n" % (status, phrase(status)),
                "Content-Type: %s\r\n" % JSON_CT,
                "Content-Length: %d\r\n" % len(body),
                "Date: %s\r\n" % http_date()]
        for k, v in headers:
            head.append("%s: %s\r\n" % (k, v))
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        payload = "".join(head).encode("latin-1")
        if self.command != "HEAD":
            payload += body if body_bytes is None else body[:body_bytes]
        self.wfile.write(payload)

    def _delay(self, extra=0.0):
        total = self.state.latency + extra
        if self.state.latency_exp > 0:
            with self.state.lock:
                total += self.state.latency_rng.expovariate(1.0 / self.state.latency_exp)
        if total > 0:
            time.sleep(total)
        self._hold()

    def _hold(self):
        """Wait while --hold-file exists (counted in "held" meanwhile)."""
        st = self.state
        if not st.hold_file or not os.path.exists(st.hold_file):
            return
        with st.lock:
            st.held += 1
        try:
            while os.path.exists(st.hold_file):
                time.sleep(0.01)
        finally:
            with st.lock:
                st.held -= 1

    def _finish_record(self, status):
        """Write the request's log line, once. Called just BEFORE the response bytes
        (or the reset) go out, so that a client holding its answer always finds the
        line already in the log and the request already out of in_flight; t_done is
        that moment."""
        if self.record_done:
            return
        self.record_done = True
        self.record["status"] = status
        self.record["t_done"] = time.time()
        self.state.finish(self.record)

    def respond(self, status, body, headers=(), body_bytes=None, extra_delay=0.0):
        self._delay(extra_delay)
        self._finish_record(status)
        try:
            self._write(status, body, headers, body_bytes)
        except OSError:
            self.close_connection = True  # the client went away meanwhile
        raise Abort()

    def respond_message(self, status, text, headers=()):
        if self.server.state.echo_key and status >= 400:
            # A careless server that quotes the request back: the client must
            # scrub its key from everything it keeps or prints.
            key = self.headers.get("x-api-key", "")
            text = "%s (request key %s)" % (text, key)
            headers = list(headers) + [("X-Echo-Key", key)]
        self.respond(status, message_body(text), headers)

    def drop_connection(self):
        """Close without a single response byte. SO_LINGER 0 makes the final close an
        RST; the shutdown first makes the peer see EOF at once (curl: 'Empty reply from
        server'), whatever the order in which it notices."""
        self._delay()
        self._finish_record(None)
        self.close_connection = True
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Abort()

    # -- per request --------------------------------------------------------
    def _dispatch(self):
        if self.command == "GET" and self.path == "/_sim/counters":
            st = self.state
            with st.lock:
                body = dumps_compact({"requests": st.seq, "in_flight": st.in_flight,
                                      "posts": st.post_n, "accepted": st.contacts_created,
                                      "gets": st.get_n, "held": st.held,
                                      "duplicates": st.duplicates, "limited": st.limited_n})
            try:
                self._write(200, body)
            except OSError:
                self.close_connection = True
            return
        if self.path in ("/_sim/control", "/_sim/state"):
            controls_route(self)
            return
        if self.command == "GET" and self.path == "/_sim/reviews":
            with self.state.lock:
                body = self.state.reviews.all_ndjson()
            try:
                self._write(200, body)
            except OSError:
                self.close_connection = True
            return
        self.conn_requests += 1
        t_arrival = time.time()
        seq, in_flight = self.state.arrive()
        split = urlsplit(self.path)
        query = {k: (v[0] if len(v) == 1 else v)
                 for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.record_done = False
        self.record = {
            "seq": seq, "t_arrival": t_arrival, "t_done": None,
            "method": self.command, "path": split.path, "query": query,
            "status": None, "accepted": False, "fault": None,
            "in_flight": in_flight, "conn": self.conn_id,
            "conn_request": self.conn_requests, "body": None, "api_key_ok": False,
        }
        try:
            self._process(split.path, query)
        except Abort:
            pass
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            if not self.record_done:
                self._finish_record(500)
                try:
                    self._write(500, message_body("simulator error"))
                except OSError:
                    pass
        finally:
            self._finish_record(None)  # no-op unless nothing was answered

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self.respond_message(411, "Content-Length required")
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self.respond_message(400, "Invalid Content-Length")
        if n > MAX_BODY:
            self.close_connection = True  # the body is left unread
            self.respond_message(413, "Payload Too Large")
        try:
            data = self.rfile.read(n) if n else b""
        except OSError:  # reset or timeout mid-body: nobody to answer
            self.close_connection = True
            raise Abort()
        if len(data) < n:  # peer closed mid-body
            self.close_connection = True
        return data

    def _process(self, path, query):
        st = self.state
        given = self.headers.get("x-api-key")
        key_ok = given is not None and hmac.compare_digest(given.encode("utf-8", "replace"),
                                                           st.api_key)
        self.record["api_key_ok"] = key_ok

        raw = self._read_body()
        parsed, body_ok = None, False
        if raw:
            try:
                parsed = json.loads(raw.decode("utf-8"))
                body_ok = True
                self.record["body"] = parsed
            except (UnicodeDecodeError, ValueError):
                self.record["body"] = {"_raw": raw.decode("utf-8", "replace")}

        if path.endswith("/") and len(path) > 1:
            path = path.rstrip("/")
        route = self.ROUTES.get((self.command, path))
        if route is None:
            # Unknown routes answer 404 before any key check and are not rate-limited.
            self.respond_message(404, "Not Found")

        if not key_ok:
            self.respond_message(401, "Unauthorized")

        is_post = route is Handler._post_invite
        limited, fault = st.admit(is_post, self.conn_requests, is_get=self.command == "GET")
        if limited:
            with st.lock:
                st.limited_n += 1
            self.respond_message(429, "Too Many Requests", st.retry_after_header())
        route(self, query, parsed if body_ok else None, fault)

    # -- endpoints ------------------------------------------------------------
    def _get_fault(self, fault, body):
        """Misbehave on a GET as --get-fault & co. asked (answers, so never returns)."""
        st = self.state
        self.record["fault"] = fault
        if fault == "reset":
            self.drop_connection()
        if fault == "429":
            self.respond_message(429, "Too Many Requests", st.retry_after_header())
        if fault == "truncated":
            self.close_connection = True  # graceful close after half the body
            self.respond(200, body, body_bytes=len(body) // 2)
        if fault == "malformed":
            self.respond(200, b'{"total": 3, "reviews": [{"id": ')
        if fault == "timeout":
            self.respond(200, body, extra_delay=st.slow)
        if fault == "oversized":
            self.respond(200, b'{"total":0,"reviews":[],"pad":"' + b"x" * OVERSIZED_BYTES + b'"}')
        self.respond_message(int(fault), phrase(int(fault)))

    def _get_businesses(self, query, body, fault):
        if fault:
            self._get_fault(fault, self.state.businesses_body)
        self.respond(200, self.state.businesses_body)

    def _get_reviews(self, query, body, fault):
        def one(name):
            v = query.get(name)
            if isinstance(v, list):
                self.respond_message(400, "Repeated query parameter: %s" % name)
            return v

        def nonneg(name, default, minimum):
            v = one(name)
            if v is None:
                return default
            if not DIGITS_RE.fullmatch(v) or int(v) < minimum:
                self.respond_message(400, "Invalid %s: %s" % (name, v))
            return int(v)

        source = one("source") or None
        show = one("showOnWidget")
        if show is not None:
            if show not in ("true", "false"):
                self.respond_message(400, "Invalid showOnWidget: %s" % show)
            show = show == "true"
        business_id = one("businessId") or None
        sort = one("sort") or "desc"
        if sort not in ("desc", "asc"):
            self.respond_message(400, "Invalid sort: %s" % sort)
        limit = nonneg("limit", 100, 1)
        offset = nonneg("offset", 0, 0)  # a page number or a record offset: --offset-mode

        total, body, inserted = self.state.reviews_page(source, show, business_id,
                                                        sort == "desc", offset, limit)
        if inserted:
            self.record["inserted"] = inserted
        controls_hold_point(self.state)  # /_sim/control "hold_at_get"
        if fault:
            self._get_fault(fault, body)
        self.respond(200, body)

    def _post_invite(self, query, body, fault):
        st = self.state
        if fault in REFUSING_FAULTS:
            self.record["fault"] = fault
            if fault == "reset_before":
                self.drop_connection()
            if fault == "429":
                self.respond_message(429, "Too Many Requests", st.retry_after_header())
            if fault == "400":
                self.respond_message(400, "Contact rejected by the campaign rules")
            self.respond_message(int(fault), phrase(int(fault)))

        # An invalid invite gets its 400/404 and the accepting fault does not happen
        # (the log then shows fault null): there is nothing to accept.
        contact = self._validate_invite(body)
        st.note_invited(contact)
        sms_left = st.create_contact(contact["phoneNumber"] is not None)
        self.record["accepted"] = True
        self.record["fault"] = fault
        if st.drop_source_contact_id:
            contact = dict(contact, sourceContactId=None)
        out = dumps_compact({"contact": contact,
                             "usage": {"smsLimitsLeft": sms_left, "renews": SMS_RENEWS}})
        if fault == "reset_after":
            self.drop_connection()
        if fault == "timeout":
            self.respond(200, out, extra_delay=st.slow)
        if fault == "truncated":
            self.close_connection = True  # graceful close after half the body
            self.respond(200, out, body_bytes=len(out) // 2)
        if fault == "malformed":
            self.respond(200, b'{"contact": {"id": ')
        self.respond(200, out)

    def _validate_invite(self, body):
        """The vendor's checks in a fixed order; returns the contact to create, or
        answers 400/404 itself."""
        reject = self.respond_message

        if not isinstance(body, dict):
            reject(400, "Malformed JSON body")
        first = body.get("firstName")
        if not isinstance(first, str) or not first.strip():
            reject(400, "firstName is required")
        channel = body.get("channel")
        if not isinstance(channel, dict):
            reject(400, "channel requires email or phoneNumber")
        email_v = channel.get("email")
        phone_v = channel.get("phoneNumber")
        # "" and null count as absent.
        email_v = None if email_v in (None, "") else email_v
        phone_v = None if phone_v in (None, "") else phone_v
        if email_v is None and phone_v is None:
            reject(400, "channel requires email or phoneNumber")
        if email_v is not None:
            ok = isinstance(email_v, str) and email_v.count("@") == 1 \
                and not any(c.isspace() for c in email_v) \
                and "." in email_v.split("@", 1)[1]
            if not ok:
                reject(400, "Invalid email: %s" % describe_value(email_v))
        if phone_v is not None:
            if not isinstance(phone_v, str) or not PHONE_RE.fullmatch(phone_v):
                reject(400, "Invalid phoneNumber: %s" % describe_value(phone_v))
        if "inviteDelayDays" in body and body["inviteDelayDays"] is not None:
            d = body["inviteDelayDays"]
            # bool is an int subclass: true must not pass as 1.
            if not (type(d) is int and d in (1, 3)):
                reject(400, "inviteDelayDays must be 1 or 3")
        bid, cid = body.get("businessId"), body.get("campaignId")
        if not isinstance(bid, str) or bid not in self.state.businesses:
            reject(404, "Business not found")
        if not isinstance(cid, str) or cid not in self.state.campaigns:
            reject(404, "Campaign not found")

        last = body.get("lastName")
        source = body.get("source")
        return {
            "id": str(uuid.uuid4()),
            "firstName": first.lower(),
            "lastName": last.lower() if isinstance(last, str) and last else None,
            "email": email_v,
            "phoneNumber": phone_v,
            "source": source if isinstance(source, str) and source else "api",
            "sourceContactId": body.get("sourceContactId"),
        }


Handler.ROUTES = {
    ("GET", API_PREFIX + "/businesses"): Handler._get_businesses,
    ("GET", API_PREFIX + "/reviews"): Handler._get_reviews,
    ("POST", API_PREFIX + "/send-review-invite"): Handler._post_invite,
}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # in-flight handlers never block shutdown
    request_queue_size = 1024  # bursts of concurrent connects must not be refused

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# 7. Controls: changing reviews between and during runs (the mirror's tests)
# --------------------------------------------------------------------------
#
# POST /_sim/control with a JSON body (no key, never logged or counted) changes
# the served reviews the way the real account changes them; GET /_sim/state
# answers counters a test can wait on instead of sleeping. Ops:
#   {"op":"reply","id":ID[,"comment":TEXT,"date":"YYYY-MM-DD"]}  response + status Responded
#   {"op":"edit","id":ID[,"rating":R][,"text":TEXT]}  (R keeps the review's string/number type)
#   {"op":"archive","id":ID}                          isArchived true
#   {"op":"delete","id":ID}                           gone from GET /reviews
#   {"op":"insert","n":N}                             N new newest reviews; answers their ids
#   {"op":"respell","id":ID} or {"op":"respell","all":true}
#       the same content served with the keys in reverse order, numbers spelled
#       otherwise (5 -> 5.0, 0.850 -> 0.85, 1E+3 -> 1000.0, -0.0 -> 0) and the
#       other choice of \u escapes: no change a client may report
#   {"op":"at_get","n":K,"then":OP}   apply OP on the arrival of the K-th GET /reviews
#                                      (counted from the start; "then" may be a list)
#   {"op":"hold_at_get","n":K}        the K-th GET /reviews waits, page computed,
#                                      until {"op":"release"}; /_sim/state says "held"
#   {"op":"release"}
#   {"op":"put","review":{...}}                       a review as given (see _ctl_put)
# Every op answers {"ok":true,...}; an unknown op or id answers 400.

class ControlError(Exception):
    pass


def _ctl_index(store, rid):
    for i, r in enumerate(store.reviews):
        if r["id"] == rid:
            return i
    raise ControlError("no review %r" % rid)


def _encode_respelled(r):
    """The review's content with its bytes changed every harmless way."""
    n = r["_n"]
    keys = [k for k in r if not k.startswith("_")][::-1]
    view = {k: r[k] for k in keys}
    enc = json.dumps(view, ensure_ascii=(n % 11 != 4), separators=(",", ":"))
    if isinstance(r["rating"], int):
        enc = enc.replace('"rating":%d' % r["rating"], '"rating":%d.0' % r["rating"], 1)
    enc = enc.encode("utf-8")
    if n % 7 == 3:
        enc = b'{"x_tags":[],"x_metrics":{"note":"unknown to the client","list":[1.0,2.5e0,' \
              b'{"deep":null}],"neg":0,"exp":1000.0,"big":12345678901234567890,"score":0.85},' \
              + enc[1:]
    return enc


def _ctl_reencode(store, i):
    r = store.reviews[i]
    store.encoded[i] = _encode_respelled(r) if r.get("_respelled") else store._encode(r)
    store.version += 1


# {"op":"put","review":{...}}: a review with exactly these fields (it needs
# "id" and "createdAt"; the same id replaces the earlier one), served in its
# place by createdAt, with no encoding quirks. For tests that need reviews
# written by particular people (the report's invite matching).
def _ctl_put(store, review):
    if not isinstance(review, dict) or not isinstance(review.get("id"), str) \
            or not isinstance(review.get("createdAt"), str):
        raise ControlError("put needs a review with an id and a createdAt")
    r = dict(review, _n=0)  # _n 0: plain JSON, no extra fields
    for i, old in enumerate(store.reviews):
        if old["id"] == r["id"]:
            del store.reviews[i]
            del store.encoded[i]
            break
    keys = [(x["createdAt"], x["id"]) for x in store.reviews]
    i = bisect.bisect(keys, (r["createdAt"], r["id"]))
    store.reviews.insert(i, r)
    store.encoded.insert(i, store._encode(r))
    store.version += 1
    return {"id": r["id"]}


def controls_apply(state, op):
    """One op (lock held by the caller); returns what to answer."""
    store = state.reviews
    kind = op.get("op") if isinstance(op, dict) else None
    if kind == "put":
        return _ctl_put(store, op.get("review"))
    if kind == "insert":
        return {"ids": [store.insert_newest() for _ in range(int(op.get("n", 1)))]}
    if kind == "at_get":
        then = op.get("then")
        state.ctl_pending.setdefault(int(op["n"]), []).extend(
            then if isinstance(then, list) else [then])
        return {}
    if kind == "hold_at_get":
        state.ctl_hold_n = int(op["n"])
        state.ctl_release.clear()
        return {}
    if kind == "release":
        state.ctl_hold_n = None
        state.ctl_release.set()
        return {}
    if kind == "respell" and op.get("all"):
        for i, r in enumerate(store.reviews):
            r["_respelled"] = True
            _ctl_reencode(store, i)
        return {}
    if kind not in ("reply", "edit", "archive", "delete", "respell"):
        raise ControlError("unknown op %r" % kind)
    i = _ctl_index(store, op.get("id"))
    r = store.reviews[i]
    if kind == "delete":
        del store.reviews[i]
        del store.encoded[i]
        store.version += 1
        return {}
    if kind == "reply":
        date = op.get("date") or r["createdAt"][:10]
        r["response"] = {"name": "The team", "date": date,
                         "comment": op.get("comment", "Thanks for the review!")}
        r["status"] = "Responded"
    elif kind == "edit":
        if "rating" in op:
            r["rating"] = int(op["rating"]) if isinstance(r["rating"], int) else str(op["rating"])
        if "text" in op:
            r["text"] = op["text"]
    elif kind == "archive":
        r["isArchived"] = True
    elif kind == "respell":
        r["_respelled"] = True
    _ctl_reencode(store, i)
    return {}


def controls_on_get(state, n):
    """Ops scheduled for the n-th GET /reviews (lock held); ids of reviews inserted."""
    inserted = []
    for op in getattr(state, "ctl_pending", {}).pop(n, []):
        out = controls_apply(state, op)
        inserted += out.get("ids", [])
    return inserted


def controls_hold_point(state):
    if getattr(state, "ctl_hold_n", None) is None:
        return
    with state.lock:
        hold = state.ctl_hold_n == state.reviews_n
        if hold:
            state.ctl_held += 1
    if hold:
        state.ctl_release.wait()


def _controls_init(state):
    with state.lock:
        if not hasattr(state, "ctl_pending"):
            state.ctl_pending = {}
            state.ctl_hold_n = None
            state.ctl_held = 0
            state.ctl_release = threading.Event()


def controls_route(handler):
    state = handler.state
    _controls_init(state)
    status, out = 200, {"ok": True}
    if handler.command == "GET" and handler.path == "/_sim/state":
        with state.lock:
            out.update(reviews_gets=state.reviews_n, reviews=len(state.reviews.reviews),
                       held=state.ctl_held)
    elif handler.command == "POST" and handler.path == "/_sim/control":
        n = int(handler.headers.get("Content-Length") or 0)
        try:
            op = json.loads(handler.rfile.read(n).decode("utf-8"))
            with state.lock:
                out.update(controls_apply(state, op))
        except (ControlError, ValueError, KeyError, TypeError) as e:
            status, out = 400, {"ok": False, "message": str(e)}
    else:
        status, out = 404, {"ok": False, "message": "GET /_sim/state or POST /_sim/control"}
    try:
        handler._write(status, dumps_compact(out))
    except OSError:
        handler.close_connection = True


# --------------------------------------------------------------------------
# 6. Main
# --------------------------------------------------------------------------

class _Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise _Stop()


def write_port_file(path, port):
    """Temp file in the same directory + rename: a reader sees nothing or the number."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".port.", dir=d)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; it is only a port number
        with os.fdopen(fd, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    args = parse_args(argv)
    state = State(args)
    server = Server((HOST, args.port), Handler)
    server.state = state
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    port = server.server_address[1]

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        if args.port_file:
            write_port_file(args.port_file, port)
        sys.stderr.write("listening on %s:%d%s\n"
                         % (HOST, port, " (TLS)" if args.tls_cert else ""))
        sys.stderr.flush()
        server.serve_forever(poll_interval=0.2)
    except _Stop:
        pass
    finally:
        # Ignore a second signal while cleaning up.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.server_close()
        state.close_log()
    return 0


if __name__ == "__main__":
    sys.exit(main())
