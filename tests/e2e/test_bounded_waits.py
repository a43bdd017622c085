"""End to end: Retry-After is bounded (issue 9, defect 1).

A server that answers 429 with `Retry-After: Fri, 31 Dec 9999 ...` or
`99999999999` must not make a cron job sleep for ever holding its lock: a
wait longer than api.max_retry_wait stops the run (exit 1), the rows not
sent are `skipped` for the next run, and the next run sends them. Values
that are not a Retry-After at all (`inf`, `1e400`, `0x10`, `-5`) are
ignored: the client backs off on its own, in well under a second, and
sends. The read side (businesses) says so and exits 4 instead of
pausing. Every case ends quickly by the subprocess timeout: a hang fails.
"""
import os
import unittest

from harness import E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
FOREVER = ["Fri, 31 Dec 9999 23:59:59 GMT", "99999999999", "86400"]
NOT_A_RETRY_AFTER = ["inf", "1e400", "0x10", "-5", "3.5e2"]


class BoundedWaits(E2E):
    sim_args = ()

    def test_a_wait_past_max_retry_wait_stops_and_the_next_run_sends_the_rest(self):
        for value in FOREVER:
            with self.subTest(value=value):
                self.start_sim("--storm-429", "2:1", "--retry-after-raw", value)
                for stale in ("state.sqlite", "state.sqlite.lock"):
                    path = os.path.join(self.dir, stale)
                    if os.path.exists(path):
                        os.unlink(path)
                write_csv(self.input, HEADER, contacts(5))
                self.write_pipeline(extra_api="  max_in_flight: 1\n  max_retry_wait: 2m\n")
                p = self.run_cli("run", "--no-progress", self.pipeline, timeout=30)
                self.assertRun(p, 1)
                self.assertIn("longer than api.max_retry_wait (2 minutes)", p.stderr)
                res = read_csv(self.results)
                self.assertEqual(len(res), 5)
                self.assertEqual(res[0]["status"], "sent")
                self.assertEqual(res[1]["status"], "skipped")
                self.assertIn("the API asked to wait", res[1]["reason"])
                self.assertTrue(all(r["status"] == "skipped" for r in res[1:]), res)
                self.assertEqual(len(self.sim.accepted()), 1)
                # The next run (the server is fine again) sends exactly the rest.
                p = self.run_cli("run", "--no-progress", self.pipeline, timeout=30)
                self.assertRun(p, 0)
                res = read_csv(self.results)
                self.assertEqual([r["status"] for r in res], ["skipped"] + ["sent"] * 4)
                emails = [r["body"]["channel"]["email"] for r in self.sim.accepted()]
                self.assertEqual(len(emails), 5)
                self.assertEqual(len(set(emails)), 5)

    def test_values_that_are_not_a_retry_after_are_ignored(self):
        for value in NOT_A_RETRY_AFTER:
            with self.subTest(value=value):
                self.start_sim("--storm-429", "1:2", "--retry-after-raw", value)
                state = os.path.join(self.dir, "state.sqlite")
                if os.path.exists(state):
                    os.unlink(state)
                write_csv(self.input, HEADER, contacts(3))
                self.write_pipeline(extra_api="  max_in_flight: 1\n")
                p = self.run_cli("run", "-v", "--no-progress", self.pipeline, timeout=30)
                self.assertRun(p, 0)
                self.assertNotIn("pausing inf", p.stderr)
                # 0x10 is not 16 s: backoff from 0.5 s, so no pause of 16 s is logged.
                self.assertNotIn("pausing 16.0s", p.stderr)
                self.assertEqual(len(self.sim.accepted()), 3)

    def test_the_read_side_refuses_to_pause_for_ever(self):
        self.start_sim("--get-storm-429", "1:1", "--retry-after-raw", "Fri, 31 Dec 9999 23:59:59 GMT")
        p = self.run_cli("businesses", "--format", "csv", timeout=30)
        self.assertRun(p, 4)
        self.assertIn("longer than api.max_retry_wait", p.stderr)


if __name__ == "__main__":
    unittest.main()
