"""End to end: one account, one memory (issue 11). Every pipeline of an API key
shares one ledger (cooldowns, suppression list), one rate budget and one folder
of run locks; a fixed pipeline gets a fresh answer; stores go to their own
campaigns. Everything is asserted through the simulator's request log."""
import collections
import csv
import hashlib
import json
import os
import sqlite3
import subprocess
import time
import unittest

from harness import (API_KEY, BIN, BUSINESS, CAMPAIGN, E2E, PG_BASE, contacts, pipeline_yaml, read_csv,
                     sqlite_only, write_csv)

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
OTHER_CAMPAIGN = "9b1d3f6e-8c2a-4e5b-a7d4-3f0e2c1b5a69"
BONDI, MANLY = "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4", "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5"
BONDI_CAMP, MANLY_CAMP = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-aaaaaaaaaaaa"


def account_dir(root):
    return os.path.join(root, "xdg-state", "cloutly-pipe")


def account_id():
    return hashlib.sha256(b"cloutly-pipe account\n" + API_KEY.encode()).hexdigest()[:16]


def emails(requests):
    return collections.Counter(r["body"]["channel"]["email"] for r in requests)


class Account(E2E):
    sim_args = ("--latency-ms", "20")

    # -- helpers ------------------------------------------------------------
    def make_pipeline(self, name, rows, *, state=None, **kw):
        """A pipeline `name` with its own input of `rows`; no state.path unless given."""
        d = os.path.join(self.dir, name)
        os.makedirs(d, exist_ok=True)
        inp = os.path.join(d, "input.csv")
        header = kw.pop("header", HEADER)
        write_csv(inp, header, rows)
        y = pipeline_yaml(inp, os.path.join(d, "results.csv"), os.path.join(d, "rejects.csv"),
                          name=name, **kw)
        y = y.replace("state:\n  path: state.sqlite\n", f"state:\n  path: {state}\n" if state else "")
        path = os.path.join(d, "pipeline.yaml")
        with open(path, "w") as f:
            f.write(y)
        return path

    def results_of(self, name):
        return read_csv(os.path.join(self.dir, name, "results.csv"))

    def env(self, **extra):
        return dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url, **extra)

    def spawn(self, *args):
        return subprocess.Popen([BIN, *args], env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    # -- 1. state belongs to the account ------------------------------------
    def test_two_pipelines_with_default_state_share_cooldowns(self):
        nightly = self.make_pipeline("nightly", contacts(5))
        campaign = self.make_pipeline("campaign", contacts(4, start=3))
        self.assertRun(self.run_cli("run", nightly), 0)
        p = self.run_cli("run", campaign)
        self.assertRun(p, 0)
        res = self.results_of("campaign")
        self.assertEqual([r["status"] for r in res], ["skipped", "skipped", "sent", "sent"])
        self.assertIn("invited today (cooldown 90 days)", res[0]["reason"])
        counts = emails(self.sim.requests())
        self.assertEqual(sum(c - 1 for c in counts.values()), 0)  # duplicates
        self.assertEqual(len(counts), 7)
        if PG_BASE:
            return  # the account's ledger is the database CLOUTLY_STATE_URL names
        # One ledger file for the account, named by a hash of the key, never the key.
        files = os.listdir(account_dir(self.dir))
        self.assertIn(account_id() + ".ledger.sqlite", files)
        self.assertFalse(any(API_KEY in f for f in files))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "nightly", "out")))
        # CLOUTLY_STATE_DIR moves it.
        elsewhere = os.path.join(self.dir, "elsewhere")
        again = self.make_pipeline("third", contacts(1))
        self.assertRun(self.run_cli("run", again, env={"CLOUTLY_STATE_DIR": elsewhere}), 0)
        self.assertTrue(os.path.exists(os.path.join(elsewhere, account_id() + ".ledger.sqlite")))

    def test_two_pipelines_at_the_same_moment_with_the_same_contacts_never_both_send(self):
        hold = os.path.join(self.dir, "hold")
        open(hold, "w").close()
        self.start_sim("--latency-ms", "10", "--hold-file", hold)
        people = contacts(40)
        # Different files (columns in another order), same people, same business.
        a = self.make_pipeline("pos", people, rate="40/s", extra_api="  max_in_flight: 4\n")
        b = self.make_pipeline("crm", [tuple(reversed(r)) for r in people][::-1],
                          header=list(reversed(HEADER)), rate="40/s",
                          extra_api="  max_in_flight: 4\n")
        procs = [self.spawn("run", "-q", a), self.spawn("run", "-q", b)]
        # Both are sending at the same moment: each has its first request at the server.
        self.sim.wait_for("a request of each pipeline", lambda c: c["held"] == 2)
        os.unlink(hold)
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
        counts = emails(self.sim.requests())
        self.assertEqual(len(counts), 40)
        self.assertEqual(set(counts.values()), {1})
        sent = [r for n in ("pos", "crm") for r in self.results_of(n) if r["status"] == "sent"]
        self.assertEqual(len(sent), 40)
        # Both really ran at once: each sent some.
        self.assertTrue(all(any(r["status"] == "sent" for r in self.results_of(n))
                            for n in ("pos", "crm")))

    def test_cooldown_scope_account_spans_every_business(self):
        first = self.make_pipeline("bondi", contacts(2))
        other = self.make_pipeline("manly", contacts(2), validate="  default_country: AU\n"
                              "  cooldown_scope: account\n")
        with open(other) as f:
            text = f.read().replace(BUSINESS, MANLY)
        with open(other, "w") as f:
            f.write(text)
        self.start_sim("--latency-ms", "5", "--business", f"{BUSINESS}:Bondi",
                       "--business", f"{MANLY}:Manly")
        self.assertRun(self.run_cli("run", first), 0)
        self.assertRun(self.run_cli("run", other), 0)
        self.assertEqual({r["status"] for r in self.results_of("manly")}, {"skipped"})
        self.assertEqual(len(self.sim.requests()), 2)

    # -- 2. locks -----------------------------------------------------------
    def test_lock_names_its_owner_wait_lock_waits_and_other_pipelines_proceed(self):
        hold = os.path.join(self.dir, "hold")
        open(hold, "w").close()
        self.start_sim("--hold-file", hold)
        slow = self.make_pipeline("nightly", contacts(6))
        other = self.make_pipeline("campaign", contacts(3, start=100))
        # The first run's first request is held by the server: it holds its lock meanwhile.
        first = self.spawn("run", "-q", slow)
        self.sim.wait_for("the first run's request", lambda c: c["held"] == 1)
        p = self.run_cli("run", slow)
        self.assertRun(p, 2)
        self.assertIn("another run of pipeline 'nightly' is in progress", p.stderr)
        self.assertIn(f"pid {first.pid}", p.stderr)
        self.assertIn("on host ", p.stderr)
        self.assertIn("started 20", p.stderr)
        self.assertIn("--wait-lock", p.stderr)
        waiter = self.spawn("run", "--wait-lock", "30s", slow)
        # Another pipeline of the account gets past every lock and sends at once.
        campaign = self.spawn("run", "-q", other)
        self.sim.wait_for("the other pipeline's request", lambda c: c["held"] == 2)
        os.unlink(hold)
        for proc in (first, campaign, waiter):
            _, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
        self.assertIn("waiting up to 30s", err)
        # The waiter ran after the first: it found everything sent, and nothing went twice.
        self.assertEqual(set(emails(self.sim.requests()).values()), {1})
        self.assertEqual(len(self.sim.requests()), 9)
        self.assertTrue(all(r["status"] == "skipped" for r in self.results_of("nightly")))

    # -- 5. a fixed pipeline gets a fresh answer ----------------------------
    def test_a_404_campaign_then_the_fixed_pipeline_sends_every_row(self):
        self.start_sim("--campaign", OTHER_CAMPAIGN)
        bad = self.make_pipeline("nightly", contacts(5))
        p = self.run_cli("run", bad)
        self.assertRun(p, 2)
        self.assertEqual(len(self.sim.requests()), 1)
        with open(bad) as f:
            text = f.read().replace(CAMPAIGN, OTHER_CAMPAIGN)
        with open(bad, "w") as f:
            f.write(text)
        p = self.run_cli("run", bad)
        self.assertRun(p, 0)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["sent"] * 5)
        self.assertEqual(len(self.sim.accepted()), 5)

    def test_a_400_row_is_resent_only_when_its_request_changed(self):
        self.start_sim("--fault", "1=400")
        path = self.make_pipeline("nightly", contacts(3))
        self.assertRun(self.run_cli("run", path), 1)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["failed", "sent", "sent"])
        # Unchanged: not asked again, the earlier message kept.
        self.assertRun(self.run_cli("run", path), 1)
        res = self.results_of("nightly")
        self.assertEqual(res[0]["status"], "failed")
        self.assertIn("Contact rejected by the campaign rules", res[0]["reason"])
        self.assertIn("unchanged", res[0]["reason"])
        self.assertEqual(len(self.sim.requests()), 3)
        # The pipeline changed what is sent (the source): that row gets a fresh answer.
        with open(path) as f:
            text = f.read().replace("  invite_delay_days: 1\n", "  invite_delay_days: 1\n  source: pos\n")
        with open(path, "w") as f:
            f.write(text)
        self.assertRun(self.run_cli("run", path), 0)
        res = self.results_of("nightly")
        self.assertEqual([r["status"] for r in res], ["sent", "skipped", "skipped"])
        reqs = self.sim.requests()
        self.assertEqual(len(reqs), 4)
        self.assertEqual(reqs[-1]["body"]["channel"]["email"], "person0@example.com")
        self.assertEqual(reqs[-1]["body"]["source"], "pos")

    def test_retry_failed_asks_again_for_this_run_only(self):
        self.start_sim("--fault", "1=400")
        path = self.make_pipeline("nightly", contacts(2))
        self.assertRun(self.run_cli("run", path), 1)
        p = self.run_cli("run", path, "--retry-failed")
        self.assertRun(p, 0)
        self.assertIn("--retry-failed", p.stderr)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["sent", "skipped"])
        self.assertEqual(len(self.sim.requests()), 3)

    def test_retry_in_doubt_resends_the_rows_left_in_doubt_for_this_run_only(self):
        self.start_sim("--fault", "1=500")
        path = self.make_pipeline("nightly", contacts(2))
        self.assertRun(self.run_cli("run", path), 1)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["in_doubt", "sent"])
        # Not repeated by itself...
        self.assertRun(self.run_cli("run", path), 1)
        self.assertEqual(self.results_of("nightly")[0]["status"], "in_doubt")
        self.assertEqual(len(self.sim.requests()), 2)
        # ...only when asked, and the log says so.
        p = self.run_cli("run", path, "--retry-in-doubt")
        self.assertRun(p, 0)
        self.assertIn("--retry-in-doubt", p.stderr)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["sent", "skipped"])
        self.assertEqual(emails(self.sim.requests())["person0@example.com"], 2)
        self.assertEqual(len(self.sim.requests()), 3)

    # -- 4. per-location campaigns ------------------------------------------
    def test_each_store_goes_to_its_own_business_and_campaign(self):
        self.start_sim("--business", f"{BONDI}:Bondi Beach", "--business", f"{MANLY}:Manly",
                       "--campaign", BONDI_CAMP, "--campaign", MANLY_CAMP)
        rows = [r + (store,) for r, store in zip(contacts(6), ["Bondi", "Manly"] * 3)]
        cols = ('    firstName: "First Name"\n    email: "Email"\n    phoneNumber: "Phone"\n'
                '    businessId: "Store"\n')
        mapped = self.make_pipeline(
            "mapped", rows, header=HEADER + ["Store"], columns=cols,
            invite_extra="  business_map:\n"
                         f"    Bondi: {{business_id: {BONDI}, campaign_id: {BONDI_CAMP}}}\n"
                         f"    Manly: {{business_id: {MANLY}, campaign_id: {MANLY_CAMP}}}\n")
        self.assertRun(self.run_cli("run", mapped), 0)
        want = {"Bondi": (BONDI, BONDI_CAMP), "Manly": (MANLY, MANLY_CAMP)}
        by_email = {r["body"]["channel"]["email"]: r["body"] for r in self.sim.requests()}
        for r in rows:
            body = by_email[r[3]]
            self.assertEqual((body["businessId"], body["campaignId"]), want[r[5]], r)
        # business_by_name with campaigns: by location name.
        rows2 = [r + (store,) for r, store in zip(contacts(4, start=50), ["Bondi Beach", "Manly"] * 2)]
        named = self.make_pipeline(
            "named", rows2, header=HEADER + ["Store"], columns=cols,
            invite_extra="  business_by_name: true\n  campaigns:\n"
                         f"    Bondi Beach: {BONDI_CAMP}\n    Manly: {MANLY_CAMP}\n")
        self.assertRun(self.run_cli("run", named), 0)
        by_email = {r["body"]["channel"]["email"]: r["body"] for r in self.sim.requests()}
        for r, store in zip(rows2, ["Bondi", "Manly"] * 2):
            body = by_email[r[3]]
            self.assertEqual((body["businessId"], body["campaignId"]), want[store], r)

    # -- 1. migration of today's ledgers ------------------------------------
    def old_ledger(self, path, email, days_ago):
        """A ledger as cloutly-pipe wrote it before the account ledger (schema 2)."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        db = sqlite3.connect(path)
        db.executescript(
            "CREATE TABLE attempts (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, file_path TEXT "
            "NOT NULL, file_hash TEXT NOT NULL, input_row INTEGER NOT NULL, email TEXT, phone TEXT, "
            "first_name TEXT, business_id TEXT NOT NULL, campaign_id TEXT NOT NULL, status TEXT NOT "
            "NULL, contact_id TEXT, http_status INTEGER, sms_left INTEGER, sms_renews TEXT, reason "
            "TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
            "CREATE INDEX attempts_file_row ON attempts(file_hash, input_row);"
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, file_path TEXT, "
            "file_hash TEXT, pid INTEGER, started_at INTEGER NOT NULL, finished_at INTEGER, "
            "exit_code INTEGER);"
            "CREATE TABLE watermarks (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at "
            "INTEGER NOT NULL);"
            "PRAGMA user_version = 2;")
        t = int(time.time()) - days_ago * 86400
        db.execute("INSERT INTO runs VALUES ('old-run', 'nightly', 'old.csv', 'oldhash', 1, ?, ?, 0)",
                   (t, t))
        for i, status in enumerate(["sent", "failed", "in_doubt"]):
            db.execute("INSERT INTO attempts(run_id, file_path, file_hash, input_row, email, phone, "
                       "first_name, business_id, campaign_id, status, http_status, created_at, "
                       "updated_at) VALUES ('old-run', 'old.csv', 'oldhash', ?, ?, NULL, 'X', ?, ?, "
                       "?, 200, ?, ?)", (i + 2, email if i == 0 else f"old{i}@example.com",
                                         BUSINESS, CAMPAIGN, status, t, t))
        db.commit()
        db.close()

    def test_an_old_per_pipeline_ledger_is_merged_and_keeps_its_cooldowns(self):
        path = self.make_pipeline("nightly", contacts(3))
        legacy = os.path.join(self.dir, "nightly", "out", "nightly.ledger.sqlite")
        self.old_ledger(legacy, "person1@example.com", days_ago=3)
        p = self.run_cli("run", path)
        self.assertRun(p, 0)
        self.assertIn("merged 3 attempts", p.stderr)
        res = self.results_of("nightly")
        self.assertEqual([r["status"] for r in res], ["sent", "skipped", "sent"])
        self.assertIn("invited 3 days ago (cooldown 90 days)", res[1]["reason"])
        self.assertEqual(sorted(emails(self.sim.requests())),
                         ["person0@example.com", "person2@example.com"])
        # Every old attempt is in the account's ledger, once, even when merged again.
        p = self.run_cli("ledger", "merge", path, "--from", legacy)
        self.assertRun(p, 0)
        self.assertIn("merged 0 attempts", p.stdout)
        p = self.run_cli("ledger", path, "--pipeline", "nightly", "--format", "ndjson")
        self.assertRun(p, 0)
        rows = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(rows), 5)
        self.assertEqual(sorted(r["status"] for r in rows if r["file"] == "old.csv"),
                         ["failed", "in_doubt", "sent"])

    @sqlite_only("an SQLite file named by state.path")
    def test_a_ledger_of_todays_schema_named_by_state_path_is_migrated_in_place(self):
        old = os.path.join(self.dir, "old-state.sqlite")
        self.old_ledger(old, "person0@example.com", days_ago=10)
        path = self.make_pipeline("nightly", contacts(2), state=old)
        self.assertRun(self.run_cli("run", path), 0)
        self.assertEqual([r["status"] for r in self.results_of("nightly")], ["skipped", "sent"])
        db = sqlite3.connect(old)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0] >= 3, True)
        self.assertEqual(db.execute("SELECT count(*) FROM attempts WHERE run_id = 'old-run'")
                         .fetchone()[0], 3)
        db.close()

    # -- 6/7. the ledger across the account, erasure, suppression ----------
    def test_suppression_list_forget_and_the_account_wide_listing(self):
        optouts = os.path.join(self.dir, "optouts.csv")
        with open(optouts, "w") as f:
            f.write("Name,Email,Mobile\nA,Person1@Example.com,\nB,,0412 000 002\n")
        nightly = self.make_pipeline("nightly", contacts(4))
        # The pipeline gives the account and the country its local phones are read in.
        p = self.run_cli("ledger", "suppress", nightly, "--file", optouts)
        self.assertRun(p, 0)
        self.assertIn("2 new on the suppression list", p.stdout)
        self.assertRun(self.run_cli("run", nightly), 0)
        res = self.results_of("nightly")
        self.assertEqual([r["status"] for r in res], ["sent", "skipped", "skipped", "sent"])
        self.assertIn("on the suppression list since", res[1]["reason"])
        self.assertEqual(sorted(emails(self.sim.requests())),
                         ["person0@example.com", "person3@example.com"])
        other = self.make_pipeline("campaign", contacts(1, start=7))
        self.assertRun(self.run_cli("run", other), 0)
        # The listing spans every pipeline, and filters.
        p = self.run_cli("ledger", "--format", "csv")
        self.assertRun(p, 0)
        rows = list(csv.DictReader(p.stdout.splitlines()))
        self.assertEqual(sorted({r["pipeline"] for r in rows}), ["campaign", "nightly"])
        p = self.run_cli("ledger", "--pipeline", "campaign", "--status", "sent", "--format", "ndjson")
        self.assertEqual([json.loads(l)["email"] for l in p.stdout.splitlines()],
                         ["person7@example.com"])
        p = self.run_cli("ledger", "--runs")
        self.assertRun(p, 0)
        self.assertIn("nightly", p.stdout)
        self.assertIn("campaign", p.stdout)
        # GDPR: forget person0 and keep them un-invitable.
        self.assertRun(self.run_cli("ledger", "--contact", "person0@example.com"), 0)
        p = self.run_cli("ledger", "forget", "--contact", "person0@example.com", "--suppress")
        self.assertRun(p, 0)
        self.assertIn("erased the personal data of 1 attempt", p.stdout)
        self.assertRun(self.run_cli("ledger", "--contact", "person0@example.com"), 1)
        ledger = os.path.join(account_dir(self.dir), account_id() + ".ledger.sqlite")
        dump = "\n".join(str(r) for r in self.ledger_rows(ledger, "SELECT * FROM attempts"))
        self.assertIn("person3@example.com", dump)
        self.assertNotIn("person0@example.com", dump)
        again = self.make_pipeline("later", contacts(1))
        self.assertRun(self.run_cli("run", again), 0)
        self.assertEqual(self.results_of("later")[0]["status"], "skipped")
        self.assertIn("suppression list", self.results_of("later")[0]["reason"])
        self.assertEqual(emails(self.sim.requests())["person0@example.com"], 1)


if __name__ == "__main__":
    unittest.main()
