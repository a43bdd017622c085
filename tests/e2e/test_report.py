"""End to end: `cloutly-pipe report`, the campaign and the archive on one page.

Invites go out through `run` against the simulator; then reviews are put in a
review mirror, some written by invited contacts (their email in another case,
their phone as a person types it), some not, one too late, one for another
business, one with no contact at all and a <script> in its text. The numbers
the page shows (elements with data-metric="...") must equal counts this test
computes on its own from the ledger and the mirror. Then headless Chromium
loads the page: no console error, no network request (the page's CSP forbids
any), screenshots at 1280 and 390 pixels wide.

The mirror is the real one: the simulator serves exactly these reviews
(its /_sim/control "put" op) and `cloutly-pipe export --mirror` reads them;
the deleted review is deleted at the simulator and marked so by a full sweep.
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
import urllib.request

from harness import BUSINESS, E2E, contacts, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
OTHER_BUSINESS = "9a1b2c3d-0000-4000-8000-000000000001"

def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


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
    # No generated reviews: the account's reviews are the ones each test puts.
    sim_args = ("--reviews", "0")

    def control(self, **op):
        req = urllib.request.Request(self.sim.base_url.replace("/api/v1", "/_sim/control"),
                                     data=json.dumps(op).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertTrue(json.load(r)["ok"])

    def build_mirror(self, reviews):
        """The account's reviews at the simulator, then `export --mirror` as a
        user runs it; a review with "_deleted" is deleted at the simulator and
        a full sweep marks it deleted in the mirror."""
        for r in reviews:
            self.control(op="put", review={k: v for k, v in r.items() if k != "_deleted"})
        self.assertRun(self.run_cli("export", "--mirror", self.mirror, "--no-progress"), 0)
        gone = [r["id"] for r in reviews if r.get("_deleted")]
        for rid in gone:
            self.control(op="delete", id=rid)
        if gone:
            self.assertRun(self.run_cli("export", "--mirror", self.mirror, "--full",
                                        "--no-progress"), 0)

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
        self.build_mirror(reviews)
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
        self.build_mirror([{"id": "rev-new", "businessId": BUSINESS, "rating": 5,
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
