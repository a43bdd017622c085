"""End to end: `cloutly-pipe report`, the campaign and the archive on one page.

Invites go out through `run` against the simulator; then reviews are put in a
review mirror, some written by invited contacts (their email in another case,
their phone as a person types it), some not, one too late, one for another
business, one with no contact at all and a <script> in its text. The numbers
the page shows (elements with data-metric="...") must equal counts this test
computes on its own from the ledger and the mirror. Then headless Chromium
loads the page: no console error, no network request (the page's CSP forbids
any), screenshots at 1280 and 390 pixels wide.

STAND-IN: the mirror is built here with sqlite3 from the mirror's schema
(export/mirror.c, schema version 1, as on branch h-mirror), because the
simulator's review controls and `export --mirror` are not merged yet. Replace
build_mirror() with a real `export --mirror` run once they land.
"""
import datetime
import html.parser
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import BUSINESS, E2E, contacts, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
OTHER_BUSINESS = "9a1b2c3d-0000-4000-8000-000000000001"

# The mirror's schema, version 1 (export/mirror.c schema_v1 with its macros expanded).
MIRROR_SCHEMA = """
CREATE TABLE review_data (  data_id INTEGER PRIMARY KEY,  author_name TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.authorName')) VIRTUAL,  business_id TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.businessId')) VIRTUAL,  created_at TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.createdAt')) VIRTUAL,  email TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.email')) VIRTUAL,  is_archived INTEGER GENERATED ALWAYS AS
(json_extract(raw,'$.isArchived')) VIRTUAL,  name TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.name')) VIRTUAL,  phone_number TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.phoneNumber')) VIRTUAL,  photo TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.photo')) VIRTUAL,  rating INTEGER GENERATED ALWAYS AS (CASE WHEN
json_type(raw,'$.rating') IN ('integer','real') THEN json_extract(raw,'$.rating') WHEN
json_type(raw,'$.rating')='text' AND trim(json_extract(raw,'$.rating')) GLOB '[0-9]*' THEN
CAST(trim(json_extract(raw,'$.rating')) AS INTEGER) END) VIRTUAL,  show_on_widget INTEGER
GENERATED ALWAYS AS (json_extract(raw,'$.showOnWidget')) VIRTUAL,  response_name TEXT GENERATED
ALWAYS AS (json_extract(raw,'$.response.name')) VIRTUAL,  response_date TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.response.date')) VIRTUAL,  response_comment TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.response.comment')) VIRTUAL,  shield INTEGER GENERATED ALWAYS AS
(json_extract(raw,'$.shield')) VIRTUAL,  source TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.source')) VIRTUAL,  source_feedback_id TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.sourceFeedbackId')) VIRTUAL,  status TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.status')) VIRTUAL,  review_url TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.reviewUrl')) VIRTUAL,  text TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.text')) VIRTUAL,  type TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.type')) VIRTUAL,  video_ref TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.videoRef')) VIRTUAL,  gif_ref TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.gifRef')) VIRTUAL,  updated_at TEXT GENERATED ALWAYS AS
(json_extract(raw,'$.updatedAt')) VIRTUAL,  raw TEXT NOT NULL);
CREATE TABLE review_state (  created_us INTEGER NOT NULL,  id TEXT NOT NULL,  data_id INTEGER
NOT NULL,  raw_hash INTEGER NOT NULL,  content_hash INTEGER NOT NULL,  first_seen TEXT NOT NULL,
seen_at TEXT NOT NULL, last_changed TEXT NOT NULL,  deleted_at TEXT,  seen_run INTEGER NOT NULL,
PRIMARY KEY (created_us, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX review_state_id ON review_state(id);
CREATE VIEW reviews AS  SELECT s.id, d.author_name, d.business_id, d.created_at, d.email,
d.is_archived, d.name,  d.phone_number, d.photo, d.rating, d.show_on_widget, d.response_name,
d.response_date,  d.response_comment, d.shield, d.source, d.source_feedback_id, d.status,
d.review_url,  d.text, d.type, d.video_ref, d.gif_ref, d.updated_at, d.raw, s.content_hash,
s.first_seen,  max(s.seen_at, coalesce((SELECT max(r.started_at) FROM runs r WHERE r.complete=1
AND  (s.deleted_at IS NULL OR r.started_at < s.deleted_at)), '')) AS last_seen,  s.last_changed,
s.deleted_at,  max(s.seen_run, coalesce((SELECT max(r.run) FROM runs r WHERE r.complete=1 AND
(s.deleted_at IS NULL OR r.started_at < s.deleted_at)), 0)) AS last_seen_run  FROM review_state
s JOIN review_data d ON d.data_id = s.data_id;
CREATE TABLE review_changes (  seq INTEGER PRIMARY KEY,  id TEXT NOT NULL,  at TEXT NOT NULL,
run INTEGER NOT NULL,  kind TEXT NOT NULL CHECK (kind IN
('created','updated','deleted','restored')),  fields TEXT);
CREATE INDEX review_changes_id ON review_changes(id);
CREATE INDEX review_changes_run ON review_changes(run);
CREATE TABLE runs (  run INTEGER PRIMARY KEY,  started_at TEXT NOT NULL,  kind TEXT NOT NULL
CHECK (kind IN ('incremental','full')),  complete INTEGER NOT NULL DEFAULT 0,  pages INTEGER,
seen INTEGER, created INTEGER, updated INTEGER, deleted INTEGER,  restored INTEGER);
CREATE VIEW reviews_awaiting_reply AS  SELECT * FROM reviews WHERE deleted_at IS NULL AND
coalesce(is_archived,0)=0  AND response_name IS NULL AND response_date IS NULL AND
response_comment IS NULL;
CREATE VIEW rating_by_month_source AS  SELECT substr(created_at,1,7) AS month, source, count(*)
AS reviews,  avg(rating) AS avg_rating, sum(rating=1) AS rating_1, sum(rating=2) AS rating_2,
sum(rating=3) AS rating_3, sum(rating=4) AS rating_4, sum(rating=5) AS rating_5  FROM reviews
WHERE deleted_at IS NULL GROUP BY 1, 2;
CREATE VIEW replies_by_month AS  SELECT substr(response_date,1,7) AS month, count(*) AS replies
FROM reviews  WHERE deleted_at IS NULL AND response_date IS NOT NULL GROUP BY 1;
"""


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def build_mirror(path, reviews, changes=(), run_at=None):
    """STAND-IN for `export --mirror`: a mirror holding `reviews` (dicts in the
    API's JSON shape, plus "_deleted": an ISO time) and one run."""
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE IF NOT EXISTS mirror_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);")
    if not db.execute("SELECT 1 FROM mirror_meta WHERE key='schema_version'").fetchone():
        db.executescript(MIRROR_SCHEMA)
        db.execute("INSERT INTO mirror_meta VALUES ('schema_version', '1'), ('selection', '')")
    at = run_at or iso(0)
    run = db.execute("INSERT INTO runs(started_at, kind, complete) VALUES (?, 'full', 1)", (at,)).lastrowid
    rows = []
    for r in reviews:
        deleted = r.pop("_deleted", None)
        raw = json.dumps(r)
        data_id = db.execute("INSERT INTO review_data(raw) VALUES (?)", (raw,)).lastrowid
        created_us = int(datetime.datetime.strptime(r["createdAt"], "%Y-%m-%dT%H:%M:%S.000Z")
                         .replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000000
        rows.append((created_us, r["id"], data_id, 0, 0, at, at, at, deleted, run))
        db.execute("INSERT INTO review_changes(id, at, run, kind) VALUES (?, ?, ?, 'created')",
                   (r["id"], at, run))
    db.executemany("INSERT INTO review_state(created_us, id, data_id, raw_hash, content_hash,"
                   " first_seen, seen_at, last_changed, deleted_at, seen_run)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for kind, rid in changes:
        db.execute("INSERT INTO review_changes(id, at, run, kind) VALUES (?, ?, ?, ?)",
                   (rid, at, run, kind))
    db.commit()
    db.close()


class Metrics(html.parser.HTMLParser):
    """data-metric name -> the element's text, and every tag seen."""

    def __init__(self):
        super().__init__()
        self.metrics = {}
        self.tags = set()
        self.stack = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "a":
            self.links.append(a.get("href"))
        if "data-metric" in a:
            self.stack.append([a["data-metric"], tag, ""])

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1][1] == tag:
            name, _, text = self.stack.pop()
            self.metrics[name] = text.strip()

    def handle_data(self, data):
        for s in self.stack:
            s[2] += data


def number(text):
    return int(text.replace(",", ""))


def au_phone(raw):
    """What intake makes of an AU number as typed (enough for this test's numbers)."""
    digits = "".join(c for c in raw if c.isdigit() or c == "+")
    return "+61" + digits[1:] if digits.startswith("0") else digits


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Report(E2E):
    sim_args = ()

    def setUp(self):
        super().setUp()
        self.mirror = os.path.join(self.dir, "mirror.sqlite")
        self.page = os.path.join(self.dir, "report.html")
        self.ledger = os.path.join(self.dir, "state.sqlite")

    def invite(self, n):
        write_csv(self.input, HEADER, contacts(n))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        db = sqlite3.connect(self.ledger)
        sent = db.execute("SELECT email, phone, business_id, created_at FROM attempts"
                          " WHERE status='sent'").fetchall()
        db.close()
        self.assertEqual(len(sent), n)
        return sent

    def reviews_for(self, sent):
        t0 = min(s[3] for s in sent)
        day = 86400

        def review(i, **kw):
            r = {"id": f"rev-{i}", "businessId": BUSINESS, "source": "google", "rating": 5,
                 "authorName": f"Author {i}", "text": f"review {i}", "createdAt": iso(t0 + day),
                 "reviewUrl": f"https://reviews.example/{i}"}
            r.update(kw)
            return r

        return [
            # person0 by email, written in capitals: matched.
            review(0, email="Person0@Example.COM", rating=4),
            # person1 by phone as a person types it: matched.
            review(1, phoneNumber="0412 000 001", rating=5, createdAt=iso(t0 + 3 * day)),
            # person2, 20 days later: outside the 14-day window.
            review(2, email="person2@example.com", createdAt=iso(t0 + 20 * day)),
            # person3 but another business: not this invite's.
            review(3, email="person3@example.com", businessId=OTHER_BUSINESS, source="facebook",
                   rating=2),
            # No contact at all, and a script in the text: must render as text.
            review(4, authorName="Bob <b>&amp; co", text="<script>alert('x')</script> great",
                   rating=1, reviewUrl="javascript:alert(1)"),
            # Replied, 5 hours later.
            review(5, rating=3, response={"name": "Owner", "comment": "Thanks!",
                                          "date": iso(t0 + day + 5 * 3600)}),
            # person4's review is gone: deleted reviews count nowhere.
            review(6, email="person4@example.com", _deleted=iso(t0 + 2 * day)),
            # person5 by phone AND email, one review: one match.
            review(7, email="person5@example.com", phoneNumber="+61412000005", rating=5,
                   createdAt=iso(t0 + 13 * day)),
        ]

    def expected(self, sent, reviews, window_days=14):
        """Independently: which sent invites have a later review of the same
        business by the same email or phone within the window."""
        live = [r for r in reviews if not r.get("_deleted")]
        by_key = {}
        for r in live:
            t = datetime.datetime.strptime(r["createdAt"], "%Y-%m-%dT%H:%M:%S.000Z").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            if r.get("email"):
                by_key.setdefault((r["businessId"], "e", r["email"].strip().lower()), []).append(t)
            if r.get("phoneNumber"):
                by_key.setdefault((r["businessId"], "p", au_phone(r["phoneNumber"])), []).append(t)
        hits = sms_inv = sms_hit = mail_inv = mail_hit = 0
        for email, phone, biz, at in sent:
            def hit(kind, contact):
                return any(at <= t <= at + window_days * 86400 for t in by_key.get((biz, kind, contact), []))
            h = bool((email and hit("e", email)) or (phone and hit("p", phone)))
            hits += h
            if phone:
                sms_inv += 1
                sms_hit += h
            if email:
                mail_inv += 1
                mail_hit += h
        return {
            "invited": len(sent), "reviewed": hits, "sms_invited": sms_inv, "sms_reviewed": sms_hit,
            "email_invited": mail_inv, "email_reviewed": mail_hit,
            "no_contact": sum(1 for r in live if not r.get("email") and not r.get("phoneNumber")),
            "total": len(live),
            "replied": sum(1 for r in live if r.get("response")),
            "awaiting": sum(1 for r in live if not r.get("response")),
        }

    def report(self, *extra):
        p = self.run_cli("report", self.pipeline, "--mirror", self.mirror, "--output", self.page, *extra)
        self.assertRun(p, 0)
        with open(self.page, encoding="utf-8") as f:
            text = f.read()
        m = Metrics()
        m.feed(text)
        return text, m

    def test_the_page_counts_what_the_ledger_and_the_mirror_hold(self):
        sent = self.invite(8)
        reviews = self.reviews_for(sent)
        build_mirror(self.mirror, [dict(r) for r in reviews])
        exp = self.expected(sent, reviews)
        # The scenario is the one meant: three invites matched, one each way.
        self.assertEqual(exp["reviewed"], 3)
        text, m = self.report()
        got = m.metrics
        self.assertEqual(number(got["match.total.invited"]), exp["invited"])
        self.assertEqual(number(got["match.total.reviewed"]), exp["reviewed"])
        self.assertEqual(number(got["match.total.sms_invited"]), exp["sms_invited"])
        self.assertEqual(got["match.total.sms_rate"], f"{100 * exp['sms_reviewed'] / exp['sms_invited']:.1f}%")
        self.assertEqual(got["match.total.email_rate"], f"{100 * exp['email_reviewed'] / exp['email_invited']:.1f}%")
        self.assertEqual(got["match.total.rate"], f"{100 * exp['reviewed'] / exp['invited']:.1f}%")
        self.assertEqual(number(got["reviews.no_contact"]), exp["no_contact"])
        self.assertEqual(number(got["reviews.total"]), exp["total"])
        self.assertEqual(number(got["reviews.replied"]), exp["replied"])
        self.assertEqual(number(got["awaiting.total"]), exp["awaiting"])
        self.assertEqual(got["reviews.median_reply_hours"], "5.0")
        self.assertEqual(number(got["status.sent"]), len(sent))
        self.assertEqual(number(got["in_doubt.open"]), 0)
        month = datetime.datetime.fromtimestamp(sent[0][3], datetime.timezone.utc).strftime("%Y-%m")
        self.assertEqual(number(got[f"match.month.{month}.invited"]), exp["invited"])
        self.assertEqual(number(got[f"match.business.{BUSINESS}.reviewed"]), exp["reviewed"])
        # Sends per day add up to the ledger's sends.
        self.assertEqual(sum(number(v) for k, v in got.items() if k.startswith("sends.")), len(sent))
        self.assertIn(f"Of {exp['invited']} invited in", got["match.headline"])
        # Every review created so far is "new since the last report" the first time...
        self.assertEqual(number(got["changes.created"]), len(reviews))
        # ... and nothing is the second time; one more review is exactly one.
        _, m2 = self.report()
        self.assertEqual(number(m2.metrics["changes.created"]), 0)
        build_mirror(self.mirror, [{"id": "rev-new", "businessId": BUSINESS, "rating": 5,
                                    "createdAt": iso(sent[0][3] + 86400), "source": "google"}])
        _, m3 = self.report()
        self.assertEqual(number(m3.metrics["changes.created"]), 1)
        self.assertEqual(number(m3.metrics["reviews.total"]), exp["total"] + 1)

        # The data is text, never markup: no script element, the review's
        # script shown escaped, the javascript: link not a link.
        self.assertNotIn("script", m.tags)
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", text)
        self.assertIn("Bob &lt;b&gt;&amp;amp; co", text)
        self.assertNotIn("javascript:", " ".join(h or "" for h in m.links))
        self.assertIn("https://reviews.example/0", m.links)
        # Self-contained: nothing that would fetch.
        for needle in ("<link", "<img", "<script", "@import", "url(", "src="):
            self.assertNotIn(needle, text)
        self.assertIn("default-src 'none'", text)
        self.assertLess(len(text.encode()), 1 << 20)

        self.render_in_chromium()

    def test_without_a_mirror_the_runs_half_stands_and_says_what_is_missing(self):
        sent = self.invite(3)
        p = self.run_cli("report", self.pipeline, "--output", self.page)
        self.assertRun(p, 0)
        self.assertIn("no mirror", p.stdout)
        with open(self.page, encoding="utf-8") as f:
            text = f.read()
        m = Metrics()
        m.feed(text)
        self.assertEqual(number(m.metrics["status.sent"]), len(sent))
        self.assertIn("export.mirror", text)
        self.assertNotIn("reviews.total", m.metrics)

    def test_a_bad_option_is_a_usage_error(self):
        self.write_pipeline()
        p = self.run_cli("report", self.pipeline, "--match-days", "0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--match-days", p.stderr)
        p = self.run_cli("report", self.pipeline, "--mirror", os.path.join(self.dir, "nope.sqlite"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("no mirror at", p.stderr)

    def render_in_chromium(self):
        browser = chromium()
        if not browser:
            self.skipTest("chromium is not installed (apt-get install chromium, scripts/deps.sh): "
                          "the page was not rendered in a browser")
        shots = {}
        with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
            base = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-default-apps",
                    "--disable-extensions", f"--user-data-dir={profile}",
                    "--enable-logging=stderr", "--v=0"]
            url = "file://" + self.page
            p = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertIn('data-metric="reviews.total"', p.stdout)
            # A console message (an error, a CSP refusal of a fetch) shows as CONSOLE in the log.
            console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l]
            self.assertEqual(console, [], "\n".join(console))
            for width in (1280, 390):
                shot = os.path.join(self.dir, f"report-{width}.png")
                p = subprocess.run(base + [f"--screenshot={shot}", f"--window-size={width},2000",
                                           "--hide-scrollbars", url],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr[-2000:])
                with open(shot, "rb") as f:
                    head = f.read(24)
                self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
                self.assertEqual(int.from_bytes(head[16:20], "big"), width)
                shots[width] = shot
        keep = os.environ.get("REPORT_SCREENSHOTS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for width, shot in shots.items():
                shutil.copy(shot, os.path.join(keep, f"report-{width}.png"))
            shutil.copy(self.page, os.path.join(keep, "report.html"))


if __name__ == "__main__":
    unittest.main()
