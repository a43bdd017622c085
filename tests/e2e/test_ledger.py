"""End to end: the ledger makes a second invite impossible by accident.
Resume after kill -9, cooldown across files, one run at a time, SIGINT,
the SMS guard, max_per_run, and the `ledger` command."""
import collections
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest

from harness import API_KEY, BIN, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


def posts_per_contact(sim):
    return collections.Counter(r["body"]["channel"]["email"] for r in sim.requests())


class Ledger(E2E):
    sim_args = ("--latency-ms", "30")

    def state(self):
        return os.path.join(self.dir, "state.sqlite")

    def spawn(self, *args):
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        return subprocess.Popen([BIN, *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def test_a_rerun_of_the_same_file_sends_nothing_and_keeps_the_contact_ids(self):
        write_csv(self.input, HEADER, contacts(6))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        first = read_csv(self.results)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        second = read_csv(self.results)
        self.assertEqual(len(self.sim.requests()), 6)
        self.assertEqual({r["status"] for r in second}, {"skipped"})
        self.assertTrue(all("already sent by an earlier run of this file" in r["reason"] for r in second))
        self.assertEqual([r["contact_id"] for r in first], [r["contact_id"] for r in second])

    def test_kill_9_at_random_moments_never_sends_twice_and_loses_no_row(self):
        n = 300
        self.start_sim("--latency-ms", "60")
        write_csv(self.input, HEADER, contacts(n))
        self.write_pipeline(rate="120/s", extra_api="  max_in_flight: 8\n")
        rnd = random.Random(20261126)
        kills = 0
        for _ in range(10):
            proc = self.spawn("run", "-q", self.pipeline)
            time.sleep(rnd.uniform(0.15, 0.6))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate()
        p = self.run_cli("run", self.pipeline)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        res = read_csv(self.results)
        posts = posts_per_contact(self.sim)
        accepted = collections.Counter(r["body"]["channel"]["email"] for r in self.sim.accepted())
        duplicates = sum(c - 1 for c in posts.values() if c > 1)
        by_email = {r["email"]: r for r in res}
        lost = n - len(res)
        print(f"\nkill -9 test: kills {kills}, posts {sum(posts.values())}, accepted "
              f"{sum(accepted.values())}, duplicates {duplicates}, lost rows {lost}, "
              f"in doubt {sum(1 for r in res if r['status'] == 'in_doubt')}")
        self.assertGreaterEqual(kills, 5)
        self.assertEqual(duplicates, 0)
        self.assertEqual(lost, 0)
        self.assertEqual([int(r["input_row"]) for r in res], list(range(2, n + 2)))
        for email, r in by_email.items():
            if r["status"] == "in_doubt":
                self.assertLessEqual(posts[email], 1)
            else:
                # sent by an earlier run (skipped now) or by the last one
                self.assertIn(r["status"], ("skipped", "sent"), r)
                self.assertEqual(posts[email], 1, email)
                self.assertEqual(accepted[email], 1, email)

    def test_reset_after_acceptance_stays_in_doubt_on_the_next_run(self):
        self.start_sim("--fault", "2=reset_after")
        write_csv(self.input, HEADER, contacts(3))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 1)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["skipped", "in_doubt", "skipped"])
        self.assertEqual(len(self.sim.requests()), 3)

    def test_killed_between_acceptance_and_the_outcome_commit_is_in_doubt(self):
        self.start_sim("--fault", "1=timeout", "--slow-ms", "3000")
        write_csv(self.input, HEADER, contacts(1))
        self.write_pipeline()
        proc = self.spawn("run", self.pipeline)
        time.sleep(1.2)  # the server has accepted the invite and sits on its answer
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        with sqlite3.connect(self.state()) as db:
            self.assertEqual(db.execute("select status from attempts").fetchall(), [("intent",)])
        self.start_sim()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        self.assertIn("did not finish", p.stderr)
        res = read_csv(self.results)
        self.assertEqual(res[0]["status"], "in_doubt")
        self.assertIn("stopped while this invite was in flight", res[0]["reason"])
        self.assertEqual(self.sim.requests(), [])  # the new simulator saw nothing

    def test_cooldown_skips_the_overlap_of_a_file_a_day_later(self):
        write_csv(self.input, HEADER, contacts(10))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        with sqlite3.connect(self.state()) as db:  # make yesterday's run yesterday's
            db.execute("update attempts set created_at = created_at - 86400, updated_at = updated_at - 86400")
        write_csv(self.input, HEADER, contacts(3, start=7) + contacts(7, start=100))
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["skipped"] * 3 + ["sent"] * 7)
        self.assertEqual(res[0]["reason"], "invited 1 day ago (cooldown 90 days)")
        self.assertEqual(len(self.sim.requests()), 17)

    def test_cooldown_zero_sends_the_overlap(self):
        write_csv(self.input, HEADER, contacts(4))
        self.write_pipeline(validate="  default_country: AU\n  cooldown_days: 0\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        write_csv(self.input, HEADER, contacts(4) + contacts(1, start=50))  # a new file
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual([r["status"] for r in read_csv(self.results)], ["sent"] * 5)
        self.assertEqual(len(self.sim.requests()), 9)

    def test_a_second_run_at_once_is_refused_and_the_first_is_unharmed(self):
        self.start_sim("--latency-ms", "200")
        write_csv(self.input, HEADER, contacts(20))
        self.write_pipeline(rate="20/s")
        first = self.spawn("run", self.pipeline)
        time.sleep(0.6)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("another run of pipeline 'e2e' is in progress", p.stderr)
        self.assertIn(f"pid {first.pid}", p.stderr)
        _, err = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(set(posts_per_contact(self.sim).values()), {1})
        self.assertEqual(len(self.sim.requests()), 20)

    def test_a_stale_lock_is_taken_over(self):
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        # Run locks live in the account's state folder, one per pipeline.
        account = hashlib.sha256(b"cloutly-pipe account\n" + API_KEY.encode()).hexdigest()[:16]
        locks = os.path.join(self.dir, "xdg-state", "cloutly-pipe", account + ".locks")
        os.makedirs(locks)
        with open(os.path.join(locks, "pipeline-e2e.lock"), "w") as f:
            f.write("999999 2026-11-25T03:00:00Z\n")
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("pid 999999", p.stderr)
        self.assertIn("did not finish", p.stderr)

    def test_sigint_then_rerun_completes_with_no_duplicate(self):
        self.start_sim("--latency-ms", "200")
        write_csv(self.input, HEADER, contacts(30))
        self.write_pipeline(rate="15/s")
        proc = self.spawn("run", self.pipeline)
        time.sleep(0.8)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 5)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        posts = posts_per_contact(self.sim)
        self.assertEqual(len(posts), 30)
        self.assertEqual(set(posts.values()), {1})

    def test_a_second_sigint_abandons_the_requests_in_flight_as_in_doubt(self):
        self.start_sim("--latency-ms", "3000")
        write_csv(self.input, HEADER, contacts(10))
        self.write_pipeline(rate="20/s", extra_api="  max_in_flight: 3\n")
        proc = self.spawn("run", self.pipeline)
        # Wait for the three intents: three requests in flight, the server sits on them.
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with sqlite3.connect(self.state()) as db:
                    n = db.execute("select count(*) from attempts where status = 'intent'").fetchone()[0]
            except sqlite3.Error:
                n = 0
            if n == 3:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 5, err)
        self.assertIn("abandoning", err)
        res = read_csv(self.results)
        self.assertEqual(len(res), 10)
        doubt = [r for r in res if r["status"] == "in_doubt"]
        self.assertEqual(len(doubt), 3)
        self.assertTrue(all("interrupted while the request was in flight" in r["reason"] for r in doubt))
        self.assertEqual({r["status"] for r in res} - {"in_doubt"}, {"skipped"})
        # The next run does not send them again.
        self.start_sim()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        self.assertEqual(len(self.sim.requests()), 7)

    def test_sms_guard_falls_back_to_email_then_skips_phone_only(self):
        self.start_sim("--sms-limit", "4")
        rows = contacts(3) + [("P1", "Phone", "Only", "", "0412999001"),
                              ("B1", "Both", "Channels", "both@example.com", "0412999002")]
        write_csv(self.input, HEADER, rows)
        self.write_pipeline(invite_extra="  min_sms_left: 2\n", extra_api="  max_in_flight: 1\n")
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "sent", "sent", "skipped", "sent"])
        # 4 credits, one per SMS: after the second invite 2 are left, which is
        # at the floor, so from the third on contacts go by email only.
        self.assertEqual(res[1]["sms_limits_left"], "2")
        self.assertIn("SMS credits low: 2 left", res[2]["reason"])
        self.assertIn("sent by email only", res[2]["reason"])
        self.assertIn("SMS credits low: 2 left", res[3]["reason"])
        self.assertIn("sent by email only", res[4]["reason"])
        both = [r["body"] for r in self.sim.requests() if r["body"]["firstName"] == "Both"][0]
        self.assertNotIn("phoneNumber", both["channel"])

    def test_max_per_run_sends_the_rest_next_time(self):
        write_csv(self.input, HEADER, contacts(7))
        self.write_pipeline(invite_extra="  max_per_run: 3\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent"] * 3 + ["skipped"] * 4)
        self.assertIn("max_per_run", res[3]["reason"])
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["skipped"] * 3 + ["sent"] * 3 + ["skipped"])
        self.assertEqual(len(self.sim.requests()), 6)

    def test_dry_run_and_check_never_create_or_write_the_ledger(self):
        write_csv(self.input, HEADER, contacts(3))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", "--dry-run", self.pipeline), 0)
        self.assertRun(self.run_cli("check", self.pipeline), 0)
        self.assertFalse(os.path.exists(self.state()))

    def test_the_ledger_command_answers_did_we_text_this_customer(self):
        write_csv(self.input, HEADER, contacts(3))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        p = self.run_cli("ledger", self.pipeline, "--contact", "0412 000 001")
        self.assertRun(p, 0)
        self.assertIn("person1@example.com", p.stdout)
        self.assertIn("sent", p.stdout)
        self.assertNotIn("person2@example.com", p.stdout)
        p = self.run_cli("ledger", self.pipeline, "--format", "csv")
        lines = p.stdout.strip().splitlines()
        self.assertEqual(len(lines), 4)
        self.assertTrue(lines[0].startswith("when,pipeline,status,email,phone"))


if __name__ == "__main__":
    unittest.main()
