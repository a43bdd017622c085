"""End to end: the review mirror (issue 15) through the binary against the simulator.

The simulator's /_sim/control changes reviews the way an account changes them
(replies, edits, archives, deletions, inserts during a run, and the same content
re-serialised with other key order and number spelling); /_sim/reviews is its
current state and /_sim/state its counters, which the kill test waits on instead
of sleeping. Each test checks the mirror (read with Python's sqlite3) against
that state review for review, and review_changes against the exact list of
events the changes should give."""
import collections
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest
import urllib.request

from harness import API_KEY, BIN, E2E


def mirror_yaml(mirror, *, page_size=50, lookback=None, full_every=None, changes=None,
                output=None, fmt="ndjson", retries=3, name="mirror"):
    return (
        "version: 1\n"
        "kind: export\n"
        f"name: {name}\n"
        "api:\n"
        "  api_key: ${CLOUTLY_API_KEY}\n"
        "  rate_limit: 1000/s\n"
        "  timeout: 5s\n"
        f"  retries: {retries}\n"
        "export:\n"
        f"  format: {fmt}\n"
        f"  mirror: {mirror}\n"
        f"  page_size: {page_size}\n"
        + (f"  lookback: {lookback}\n" if lookback else "")
        + (f"  full_every: {full_every}\n" if full_every else "")
        + (f"  changes: {changes}\n" if changes else "")
        + (f"  output: {output}\n" if output else "")
        + "state:\n"
        "  path: state/mirror-ledger.sqlite\n")


def same_json(a, b):
    """Equal as JSON values: numbers by value (2.5 = 2.50, 0 = -0.0), all else by type and value."""
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if num(a) and num(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


def expected_fields(old, new, prefix=""):
    """The changed fields as the mirror names them: dotted paths into objects on both sides."""
    out = {}
    for k in sorted(set(old) | set(new)):
        path = prefix + k
        a, b = old.get(k, KeyError), new.get(k, KeyError)
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(expected_fields(a, b, path + "."))
        elif a is KeyError or b is KeyError or not same_json(a, b):
            out[path] = (a, b)
    return out


class Mirror(E2E):
    sim_args = None

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "mirror.sqlite")
        self.feed = os.path.join(self.dir, "changes.ndjson")

    # -- the simulator -------------------------------------------------------
    def start(self, n, *args):
        self.start_sim("--reviews", str(n), "--seed", "15", *args)

    def sim_url(self, path):
        return f"http://127.0.0.1:{self.sim.port}{path}"

    def control(self, **op):
        req = urllib.request.Request(self.sim_url("/_sim/control"), data=json.dumps(op).encode(),
                                     method="POST")
        with urllib.request.urlopen(req) as r:
            out = json.loads(r.read())
        self.assertTrue(out["ok"], out)
        return out

    def sim_state(self):
        with urllib.request.urlopen(self.sim_url("/_sim/state")) as r:
            return json.loads(r.read())

    def server(self):
        """The simulator's reviews now: id -> (parsed review, bytes as served), ascending."""
        with urllib.request.urlopen(self.sim_url("/_sim/reviews")) as r:
            lines = r.read().decode("utf-8").splitlines()
        return collections.OrderedDict((json.loads(l)["id"], (json.loads(l), l)) for l in lines)

    # -- the binary ------------------------------------------------------------
    def write(self, **kw):
        with open(self.pipeline, "w") as f:
            f.write(mirror_yaml(self.db, **kw))

    def mirror_run(self, *args, expect=0):
        p = self.run_cli("export", self.pipeline, "--no-progress", *args)
        self.assertRun(p, expect)
        return p

    # -- the mirror ------------------------------------------------------------
    def q(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def existing(self):
        return {i: json.loads(raw) for i, raw in
                self.q("SELECT id, raw FROM reviews WHERE deleted_at IS NULL")}

    def events(self, run):
        return [(k, i, json.loads(f) if f else None) for k, i, f in
                self.q("SELECT kind, id, fields FROM review_changes WHERE run=? ORDER BY seq", run)]

    def last_run(self):
        return self.q("SELECT run, kind, complete FROM runs ORDER BY run DESC LIMIT 1")[0]

    def snapshot(self):
        return (self.q("SELECT * FROM reviews ORDER BY id"),
                self.q("SELECT * FROM review_changes ORDER BY seq"),
                self.q("SELECT * FROM runs ORDER BY run"))

    def assertMatchesServer(self):
        """Existing reviews in the mirror are exactly the simulator's, each equal as JSON."""
        server = {i: v[0] for i, v in self.server().items()}
        mine = self.existing()
        self.assertEqual(sorted(mine), sorted(server))
        for i, r in server.items():
            self.assertTrue(same_json(mine[i], r), i)

    def assertUpdates(self, events, before, after, ids):
        """Exactly one updated event per id, naming exactly the fields that changed."""
        got = {i: f for k, i, f in events if k == "updated"}
        self.assertEqual(sorted(got), sorted(ids))
        for i in ids:
            want = expected_fields(before[i], after[i])
            self.assertEqual(sorted(got[i]), sorted(want), i)
            for path, (a, b) in want.items():
                if a is not KeyError:
                    self.assertEqual(got[i][path]["old"], a)
                self.assertEqual(got[i][path]["new"], b)


class FromEmpty(Mirror):
    def test_mirror_from_empty_equals_a_full_ndjson_export_review_for_review(self):
        self.start(2500)
        out = os.path.join(self.dir, "full.ndjson")
        p = self.run_cli("export", "--output", out, env={"CLOUTLY_API_KEY": API_KEY})
        self.assertRun(p, 0)
        with open(out, encoding="utf-8") as f:
            exported = f.read().splitlines()
        self.write(changes=self.feed)
        self.mirror_run()
        raws = [r for (r,) in self.q("SELECT raw FROM reviews")]
        self.assertEqual(sorted(raws), sorted(exported))  # the bytes as sent, each once
        self.assertEqual(len(raws), 2500)
        for suffix in ("", "-wal"):  # customer data: 0600, as every output
            if os.path.exists(self.db + suffix):
                self.assertEqual(os.stat(self.db + suffix).st_mode & 0o777, 0o600, suffix)
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("full", 1))
        self.assertEqual(collections.Counter(k for k, _, _ in self.events(run)), {"created": 2500})
        with open(self.feed, encoding="utf-8") as f:
            feed = [json.loads(l) for l in f]
        self.assertEqual(len(feed), 2500)
        self.assertEqual({e["kind"] for e in feed}, {"created"})
        # Typed columns hold what the raw JSON says; rating "5" and 5 are both 5.
        server = self.server()
        for rid, rating, archived, comment, created in self.q(
                "SELECT id, rating, is_archived, response_comment, created_at FROM reviews"):
            r = server[rid][0]
            self.assertEqual(rating, int(r["rating"]))
            self.assertEqual(archived, int(r["isArchived"]))
            self.assertEqual(comment, (r["response"] or {}).get("comment"))
            self.assertEqual(created, r["createdAt"])
        awaiting = sum(1 for r, _ in server.values() if not r["response"] and not r["isArchived"])
        self.assertEqual(self.q("SELECT count(*) FROM reviews_awaiting_reply")[0][0], awaiting)
        self.assertEqual(self.q("SELECT sum(reviews) FROM rating_by_month_source")[0][0], 2500)
        replies = sum(1 for r, _ in server.values() if r["response"])
        self.assertEqual(self.q("SELECT sum(replies) FROM replies_by_month")[0][0], replies)


class KeepingUp(Mirror):
    def test_incremental_then_full_sweep_match_the_server_with_exact_events(self):
        self.start(1000)
        self.write(lookback="4 pages", changes=self.feed)
        self.mirror_run()
        before = {i: v[0] for i, v in self.server().items()}
        ids = list(before)  # ascending: ids[-1] is the newest
        recent, old = ids[-150:], ids[:300]
        replied = [i for i in recent if not before[i]["response"]][:3]
        re_replied = [i for i in recent if before[i]["response"]][:1]
        rated = [i for i in recent if str(before[i]["rating"]) != "1"][3:5]
        texted = recent[10:11]
        archived = [i for i in recent if not before[i]["isArchived"]][20:22]
        deleted = [recent[40], old[5]]
        edited_old = [old[50]]
        # The same content with other bytes everywhere: never an update.
        self.control(op="respell", all=True)
        for i in replied + re_replied:
            self.control(op="reply", id=i, comment="Thanks, %s!" % i[:4])
        for i in rated:
            self.control(op="edit", id=i, rating=1)
        for i in texted:
            self.control(op="edit", id=i, text="Changed my mind")
        for i in archived:
            self.control(op="archive", id=i)
        for i in deleted:
            self.control(op="delete", id=i)
        self.control(op="edit", id=edited_old[0], rating=2, text="much later edit")
        self.control(op="at_get", n=self.sim_state()["reviews_gets"] + 2,
                     then={"op": "insert", "n": 3})  # arrives mid-run, before page 2
        after = {i: v[0] for i, v in self.server().items()}
        gets_before = len(self.sim.requests("/api/v1/reviews"))

        # Incremental: every change within the lookback, nothing beyond it, no deletion.
        self.mirror_run()
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("incremental", 0))
        events = self.events(run)
        changed = replied + re_replied + rated + texted + archived
        self.assertUpdates(events, before, after, changed)
        self.assertEqual(len(events), len(changed))
        self.assertEqual(self.q("SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL")[0][0], 0)
        gets = len(self.sim.requests("/api/v1/reviews")) - gets_before
        # Four pages of 50 new-to-this-run reviews: the three the inserts pushed
        # back onto page 2 are dropped as repeats, so a fifth page completes the
        # 200; a sweep would read 20.
        self.assertEqual(gets, 5)
        with open(self.feed, encoding="utf-8") as f:
            feed = [json.loads(l) for l in f]
        self.assertEqual(sorted(e["id"] for e in feed), sorted(changed))
        self.assertTrue(all(e["kind"] == "updated" and e["review"]["id"] == e["id"] for e in feed))
        inserted = [i for i in self.server() if i not in after]
        self.assertEqual(len(inserted), 3)

        # Full sweep: the inserts, the deletions, the old edit; nothing else.
        self.mirror_run("--full")
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("full", 1))
        events = self.events(run)
        self.assertEqual(sorted(i for k, i, _ in events if k == "created"), sorted(inserted))
        self.assertEqual(sorted(i for k, i, _ in events if k == "deleted"), sorted(deleted))
        self.assertUpdates(events, before, after, edited_old)
        self.assertEqual(len(events), 3 + 2 + 1)
        self.assertMatchesServer()
        # A sweep with nothing new records nothing, and every existing review was seen by it.
        self.mirror_run("--full")
        run = self.last_run()[0]
        self.assertEqual(self.events(run), [])
        self.assertEqual(self.q("SELECT count(*) FROM reviews WHERE deleted_at IS NULL AND "
                                "last_seen_run=?", run)[0][0], len(self.server()))
        self.assertEqual(self.q("SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL AND "
                                "last_seen_run < ?", run - 1)[0][0], 2)
        # A deleted review that comes back would be restored; one deleted stays deleted.
        self.assertEqual(self.q("SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL")[0][0], 2)

    def test_lookback_by_days_counts_back_from_the_newest_review(self):
        self.start(400)
        self.write(lookback="14d")
        self.mirror_run()
        server = self.server()
        ids = list(server)
        stamp = lambda i: datetime.datetime.fromisoformat(server[i][0]["createdAt"][:-1])
        newest = stamp(ids[-1])
        inside = [i for i in ids if newest - stamp(i) < datetime.timedelta(days=13)][:1]
        # Further down than the pages the lookback reads (those are all compared).
        outside = [ids[-200]]
        self.assertGreater(newest - stamp(outside[0]), datetime.timedelta(days=14))
        self.assertEqual(len(inside), 1)
        for i in inside + outside:
            self.control(op="edit", id=i, text="edited " + i)
        self.mirror_run()
        run, kind, _ = self.last_run()
        self.assertEqual(kind, "incremental")
        self.assertEqual([(k, i) for k, i, _ in self.events(run)], [("updated", inside[0])])

    def test_full_every_turns_the_next_run_into_a_sweep(self):
        self.start(120)
        self.write(lookback="1 page", full_every="7d")
        self.mirror_run()
        self.mirror_run()
        self.assertEqual(self.last_run()[1], "incremental")
        con = sqlite3.connect(self.db)
        with con:  # the last sweep that counted, moved 8 days back
            con.execute("UPDATE runs SET started_at='2020-01-01T00:00:00.000Z' WHERE kind='full'")
        con.close()
        self.control(op="delete", id=list(self.server())[0])
        self.mirror_run()
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("full", 1))
        self.assertEqual([k for k, _, _ in self.events(run)], ["deleted"])

    def test_from_mirror_writes_the_same_files_as_the_api(self):
        self.start(600)
        self.write()
        self.mirror_run()
        for fmt in ("ndjson", "csv"):
            api_out = os.path.join(self.dir, "api." + fmt)
            mirror_out = os.path.join(self.dir, "mirror." + fmt)
            self.assertRun(self.run_cli("export", "--format", fmt, "--output", api_out), 0)
            n = len(self.sim.requests("/api/v1/reviews"))
            self.assertRun(self.run_cli("export", "--mirror", self.db, "--from-mirror", "--format",
                                        fmt, "--output", mirror_out), 0)
            self.assertEqual(len(self.sim.requests("/api/v1/reviews")), n)  # no request
            with open(api_out, "rb") as a, open(mirror_out, "rb") as b:
                self.assertEqual(a.read(), b.read(), fmt)


class Failures(Mirror):
    def test_kill_9_mid_run_leaves_the_mirror_unchanged_and_the_next_run_completes_it(self):
        self.start(800)
        self.write()
        self.mirror_run()
        before = self.snapshot()
        server = list(self.server())
        self.control(op="delete", id=server[10])
        self.control(op="reply", id=server[-5])
        self.control(op="insert", n=4)
        gets = self.sim_state()["reviews_gets"]
        self.control(op="hold_at_get", n=gets + 6)  # page 6 of 16 is computed, then waits
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        proc = subprocess.Popen([BIN, "export", self.pipeline, "--full", "--no-progress"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 60
            while self.sim_state()["held"] < 1:
                self.assertIsNone(proc.poll(), "the export ended before the hold point")
                self.assertLess(time.time(), deadline)
                time.sleep(0.02)
            # Five pages are in the open transaction; the sixth is on its way.
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
            self.control(op="release")
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertEqual(self.snapshot(), before)
        self.mirror_run("--full")
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("full", 1))
        self.assertEqual(collections.Counter(k for k, _, _ in self.events(run)),
                         {"created": 4, "deleted": 1, "updated": 1})
        self.assertMatchesServer()

    def test_a_sweep_whose_total_dropped_marks_nothing_deleted(self):
        self.start(500)
        self.write()
        self.mirror_run()
        ids = list(self.server())
        self.control(op="delete", id=ids[3])  # before the run: would be a deletion
        self.control(op="at_get", n=self.sim_state()["reviews_gets"] + 4,
                     then={"op": "delete", "id": ids[100]})  # during it: total drops
        p = self.mirror_run("--full")
        self.assertIn("not counted", p.stderr)
        run, kind, complete = self.last_run()
        self.assertEqual((kind, complete), ("full", 0))
        self.assertEqual([k for k, _, _ in self.events(run)], [])
        self.assertEqual(self.q("SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL")[0][0], 0)
        # The next sweep counts and marks both.
        self.mirror_run("--full")
        run, kind, complete = self.last_run()
        self.assertEqual(complete, 1)
        self.assertEqual(sorted(i for k, i, _ in self.events(run)), sorted([ids[3], ids[100]]))
        self.assertMatchesServer()

    def test_a_failed_sweep_changes_nothing(self):
        self.start(500, "--get-fault", "7=500")
        self.write(retries=0)
        p = self.run_cli("export", self.pipeline, "--no-progress", "--full")
        self.assertRun(p, 4)  # the first (empty-mirror) sweep fails on its 7th page
        self.assertIn("the mirror unchanged", p.stderr)
        self.assertEqual(self.q("SELECT count(*) FROM reviews")[0][0], 0)
        self.assertEqual(self.q("SELECT count(*) FROM runs")[0][0], 0)
        self.control(op="delete", id=list(self.server())[0])
        self.mirror_run()
        self.assertEqual(self.q("SELECT count(*) FROM reviews")[0][0], 499)
        self.assertMatchesServer()

    def test_bad_mirror_keys_name_the_line(self):
        self.start(10)
        with open(self.pipeline, "w") as f:
            f.write(mirror_yaml(self.db, lookback="2 weeks"))
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("pipeline.yaml:13:13: invalid lookback '2 weeks'", p.stderr)
        self.assertIn("invalid lookback '2 weeks'", p.stderr)
        self.write()
        p = self.run_cli("export", self.pipeline, "--source", "google", "--no-progress")
        self.assertRun(p, 0)
        p = self.run_cli("export", self.pipeline, "--no-progress")
        self.assertRun(p, 2)  # another selection than the mirror was built for
        self.assertIn("holds the reviews selected by 'source=google'", p.stderr)


if __name__ == "__main__":
    unittest.main()
