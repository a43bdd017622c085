"""End to end: the ledger makes a second invite impossible by accident.
Resume after kill -9, one run at a time, SIGINT, and the `ledger` command:
what needs a process to kill or signal at a chosen moment. The ledger
scenarios that are a table (cooldown across files, reruns after a fault,
the SMS guard, max_per_run, a stale lock, dry run and check leaving no
ledger) are case folders in tests/e2e/cases/2xx-* (played by test_cases.py).

Moments are chosen through the simulator's counters and its --hold-file
(requests kept in flight until the test lets them go), never by sleeping
and hoping the binary got that far."""
import collections
import hashlib
import os
import random
import signal
import subprocess
import unittest

from harness import API_KEY, BIN, E2E, contacts, read_csv, wait_until, write_csv

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
        n = 600
        self.start_sim("--latency-ms", "60")
        write_csv(self.input, HEADER, contacts(n))
        self.write_pipeline(rate="120/s", extra_api="  max_in_flight: 8\n")
        rnd = random.Random(20261126)
        kills = 0
        for _ in range(10):
            # A random moment, counted in invites rather than seconds: after
            # 1..30 more POSTs have reached the server, with up to 8 in flight.
            target = min(self.sim.counters()["posts"] + rnd.randint(1, 30), n)
            proc = self.spawn("run", "-q", self.pipeline)
            wait_until("the next kill moment",
                       lambda: proc.poll() is not None or self.sim.counters()["posts"] >= target)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate()
        p = self.run_cli("run", self.pipeline)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        self.sim.quiesce()
        res = read_csv(self.results)
        posts = posts_per_contact(self.sim)
        accepted = collections.Counter(r["body"]["channel"]["email"] for r in self.sim.accepted())
        duplicates = sum(c - 1 for c in posts.values() if c > 1)
        by_email = {r["email"]: r for r in res}
        lost = n - len(res)
        print(f"\nkill -9 test: kills {kills}, posts {sum(posts.values())}, accepted "
              f"{sum(accepted.values())}, duplicates {duplicates}, lost rows {lost}, "
              f"in doubt {sum(1 for r in res if r['status'] == 'in_doubt')}")
        # Ten kills of at most 30 POSTs each (plus what goes out while the kill
        # is on its way) leave rows for every run: each one is killed mid-run.
        self.assertEqual(kills, 10)
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

    def hold(self):
        path = os.path.join(self.dir, "hold")
        open(path, "w").close()
        return path

    def test_killed_between_acceptance_and_the_outcome_commit_is_in_doubt(self):
        hold = self.hold()
        self.start_sim("--hold-file", hold)
        write_csv(self.input, HEADER, contacts(1))
        self.write_pipeline()
        proc = self.spawn("run", self.pipeline)
        # The server has accepted the invite and sits on its answer.
        self.sim.wait_for("the invite accepted and held",
                          lambda c: c["accepted"] == 1 and c["held"] == 1)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        self.assertEqual(self.ledger_rows(self.state(), "select status from attempts"),
                         [("intent",)])
        self.start_sim()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        self.assertIn("did not finish", p.stderr)
        res = read_csv(self.results)
        self.assertEqual(res[0]["status"], "in_doubt")
        self.assertIn("stopped while this invite was in flight", res[0]["reason"])
        self.assertEqual(self.sim.requests(), [])  # the new simulator saw nothing

    def test_a_second_run_at_once_is_refused_and_the_first_is_unharmed(self):
        hold = self.hold()
        self.start_sim("--hold-file", hold)
        write_csv(self.input, HEADER, contacts(20))
        self.write_pipeline()
        first = self.start_cli("run", self.pipeline)
        # A POST of the first run is in flight: it holds the lock, and it is
        # still running whatever the second run takes to start.
        self.sim.wait_for("the first run's first POST", lambda c: c["held"] >= 1)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("another run of pipeline 'e2e' is in progress", p.stderr)
        self.assertIn(f"pid {first.pid}", p.stderr)
        os.unlink(hold)
        code, err = first.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(set(posts_per_contact(self.sim).values()), {1})
        self.assertEqual(len(self.sim.requests()), 20)

    def test_sigint_then_rerun_completes_with_no_duplicate(self):
        self.start_sim("--latency-ms", "200")
        write_csv(self.input, HEADER, contacts(30))
        self.write_pipeline(rate="15/s")
        child = self.start_cli("run", self.pipeline)
        self.sim.wait_for("three POSTs", lambda c: c["posts"] >= 3)
        child.signal(signal.SIGINT)
        code, err = child.finish()
        self.assertEqual(code, 5, err)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        posts = posts_per_contact(self.sim)
        self.assertEqual(len(posts), 30)
        self.assertEqual(set(posts.values()), {1})

    def test_a_second_sigint_abandons_the_requests_in_flight_as_in_doubt(self):
        hold = self.hold()
        self.start_sim("--hold-file", hold)
        write_csv(self.input, HEADER, contacts(10))
        self.write_pipeline(rate="20/s", extra_api="  max_in_flight: 3\n")
        child = self.start_cli("run", self.pipeline)
        # The first request of a run goes alone until an answer proves the
        # key and campaign: the server sits on it.
        self.sim.wait_for("the first request held", lambda c: c["held"] == 1)
        child.signal(signal.SIGINT)
        child.wait_stderr("interrupted: finishing the 1 request in flight")
        child.signal(signal.SIGINT)
        code, err = child.finish()
        self.assertEqual(code, 5, err)
        self.assertIn("abandoning", err)
        res = read_csv(self.results)
        self.assertEqual(len(res), 10)
        doubt = [r for r in res if r["status"] == "in_doubt"]
        self.assertEqual([r["input_row"] for r in doubt], ["2"])
        self.assertTrue(all("interrupted while the request was in flight" in r["reason"] for r in doubt))
        self.assertEqual({r["status"] for r in res} - {"in_doubt"}, {"skipped"})
        # The next run does not send it again.
        self.start_sim()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        self.assertEqual(len(self.sim.requests()), 9)

    def test_rows_appended_to_a_sent_file_resume_even_with_cooldown_zero(self):
        # Issue 9: resume is not keyed on the file's bytes alone. The same
        # people in a grown export, the same day, are a resume: not re-sent.
        write_csv(self.input, HEADER, contacts(4))
        self.write_pipeline(validate="  default_country: AU\n  cooldown_days: 0\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        write_csv(self.input, HEADER, contacts(4) + contacts(1, start=50))  # a new file
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["skipped"] * 4 + ["sent"])
        self.assertIn("already sent by an earlier run of this pipeline", res[0]["reason"])
        self.assertTrue(res[0]["contact_id"])
        self.assertEqual(len(self.sim.requests()), 5)

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
