"""End to end: the input cannot change under a run, and exit codes tell the
truth after sending (issue 9, defects 2-4).

- An export renamed over the input mid-run: the run keeps sending nothing
  but its own snapshot's rows, stops when it sees the change (exit 1, the
  rest skipped, every row of the snapshot in the results), and the next run
  sends the new file's people: none of them is taken for "already sent".
- The input truncated in place mid-run: the same.
- The results file cannot be written after invites went out: exit 1 (not 2,
  "nothing was sent"), naming how many went out; the next run lists them.
- Another process holds the ledger's write lock for a while mid-run: the
  run waits and finishes; no answered invite becomes in_doubt.

Mid-run moments are found through the simulator's request log (a slow
server and one request in flight), never a sleep that hopes.
"""
import os
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import API_KEY, BIN, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class Snapshot(E2E):
    sim_args = ("--latency-ms", "150")

    def spawn(self, *args):
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        return subprocess.Popen([BIN, *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def wait_posts(self, n, proc, limit=30):
        deadline = time.time() + limit
        while len(self.sim.requests()) < n:
            self.assertIsNone(proc.poll(), "the run ended before the moment the test needs")
            self.assertLess(time.time(), deadline, "the run did not get that far")
            time.sleep(0.02)

    def test_an_export_renamed_over_the_input_mid_run(self):
        old = contacts(20)
        new = contacts(20, start=100)
        write_csv(self.input, HEADER, old)
        self.write_pipeline(rate="50/s", extra_api="  max_in_flight: 1\n",
                            validate="  default_country: AU\n  cooldown_days: 0\n")
        proc = self.spawn("run", "--no-progress", self.pipeline)
        self.wait_posts(3, proc)
        tmp = self.input + ".new"
        write_csv(tmp, HEADER, new)
        os.rename(tmp, self.input)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("was replaced by another file during the run", err)
        res = read_csv(self.results)
        self.assertEqual(len(res), 20)
        old_emails = {c[3] for c in old}
        sent = [r for r in res if r["status"] == "sent"]
        self.assertTrue(sent)
        self.assertTrue(all(r["email"] in old_emails for r in res), "rows came from the old file")
        self.assertTrue(all(r["status"] in ("sent", "skipped") for r in res), res)
        posted = [r["body"]["channel"]["email"] for r in self.sim.requests()]
        self.assertTrue(set(posted) <= old_emails)
        # The next run reads the new file: every new person is sent.
        p = self.run_cli("run", "--no-progress", self.pipeline, timeout=60)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent"] * 20, [r["reason"] for r in res])
        self.assertEqual({r["email"] for r in res}, {c[3] for c in new})
        self.assertEqual(len(self.sim.requests()), len(posted) + 20)

    def test_the_input_truncated_in_place_mid_run(self):
        write_csv(self.input, HEADER, contacts(20))
        self.write_pipeline(rate="50/s", extra_api="  max_in_flight: 1\n")
        proc = self.spawn("run", "--no-progress", self.pipeline)
        self.wait_posts(2, proc)
        with open(self.input, "r+") as f:
            f.truncate(200)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("changed size during the run", err)
        res = read_csv(self.results)
        self.assertEqual(len(res), 20, "every row of the snapshot is accounted for")
        self.assertEqual(len([r for r in res if r["status"] == "sent"]), len(self.sim.accepted()))

    def test_results_that_cannot_be_written_after_sending_exit_1(self):
        write_csv(self.input, HEADER, contacts(4))
        with open(self.pipeline, "w") as f:
            from harness import pipeline_yaml
            f.write(pipeline_yaml(self.input, "/dev/full", self.rejects))
        p = self.run_cli("run", "--no-progress", self.pipeline, timeout=60)
        self.assertRun(p, 1)
        self.assertIn("No space left on device", p.stderr)
        self.assertIn("4 invite requests went out", p.stderr)
        self.assertEqual(len(self.sim.accepted()), 4)
        # The next run, with a writable results file, lists them all as sent before.
        self.write_pipeline()
        p = self.run_cli("run", "--no-progress", self.pipeline, timeout=60)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual(len(res), 4)
        self.assertTrue(all("already sent" in r["reason"] for r in res), res)
        self.assertEqual(len(self.sim.requests()), 4)

    def test_a_dry_run_whose_results_fill_the_disk_fails_clearly(self):
        # Enough rows to pass the results writer's chunks (it writes on a
        # thread of its own): the error comes mid-run, not only at the end.
        write_csv(self.input, HEADER, contacts(20000))
        with open(self.pipeline, "w") as f:
            from harness import pipeline_yaml
            f.write(pipeline_yaml(self.input, "/dev/full", self.rejects))
        p = self.run_cli("run", "--dry-run", "--no-progress", self.pipeline, timeout=120)
        self.assertRun(p, 2)
        self.assertIn("cannot write '/dev/full': No space left on device", p.stderr)
        self.assertEqual(len(self.sim.requests()), 0)

    def test_a_ledger_locked_for_a_while_mid_run_is_waited_for(self):
        write_csv(self.input, HEADER, contacts(8))
        self.write_pipeline(rate="50/s", extra_api="  max_in_flight: 1\n")
        proc = self.spawn("run", "--no-progress", self.pipeline)
        self.wait_posts(2, proc)
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"), isolation_level=None,
                             timeout=30)
        db.execute("BEGIN EXCLUSIVE")
        posts_when_locked = len(self.sim.requests())
        time.sleep(2.0)
        db.execute("COMMIT")
        db.close()
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent"] * 8)
        # While the lock was held no request went out without its intent:
        # at most the one in flight when the lock was taken was answered.
        self.assertGreaterEqual(posts_when_locked, 2)
        self.assertEqual(len(self.sim.requests()), 8)


if __name__ == "__main__":
    unittest.main()
