"""End to end: 50 kill -9 and resume cycles under injected faults (issue 9).

The simulator drops, refuses and rate-limits a seeded share of the POSTs
(500, 503, 429, resets before and after acceptance). Each cycle starts a
run, waits until the simulator has seen at least one new request from it
(so every kill lands mid-sending, found through the request log, not a
sleep that hopes), lets it go on for a seeded random moment, and kills it
with SIGKILL. A last run finishes the file. Then:
  - no contact was accepted twice, and none was POSTed again after an
    attempt that may have reached the server (0 duplicates);
  - every input row is in the last results file, in order (0 lost rows);
  - each kill left at most max_in_flight rows in doubt.
"""
import collections
import os
import random
import signal
import subprocess
import time
import unittest

from harness import API_KEY, BIN, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
N = 400
KILLS = 50
IN_FLIGHT = 4


class KillLoop(E2E):
    sim_args = ("--latency-ms", "25", "--seed", "9",
                "--fault-rate", "500=0.02", "--fault-rate", "503=0.04",
                "--fault-rate", "429=0.04", "--fault-rate", "reset_before=0.02",
                "--fault-rate", "reset_after=0.02")

    def spawn(self):
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        return subprocess.Popen([BIN, "run", "-q", "--no-progress", self.pipeline], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def test_fifty_kills_under_faults_never_send_twice_and_lose_no_row(self):
        write_csv(self.input, HEADER, contacts(N))
        self.write_pipeline(rate="150/s", extra_api=f"  max_in_flight: {IN_FLIGHT}\n")
        rnd = random.Random(20261201)
        kills = 0
        for _ in range(KILLS):
            before = len(self.sim.requests())
            proc = self.spawn()
            deadline = time.time() + 20
            while len(self.sim.requests()) == before and proc.poll() is None:
                self.assertLess(time.time(), deadline, "the run sent nothing")
                time.sleep(0.005)
            time.sleep(rnd.uniform(0.0, 0.12))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate()
        p = self.run_cli("run", "--no-progress", self.pipeline, timeout=300)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        res = read_csv(self.results)
        posts = collections.Counter(r["body"]["channel"]["email"] for r in self.sim.requests())
        accepted = collections.Counter(r["body"]["channel"]["email"] for r in self.sim.accepted())
        killed_in_flight = [r for r in res if r["status"] == "in_doubt"
                            and ("stopped while this invite was in flight" in r["reason"]
                                 or "stopped while this request was in flight" in r["reason"])]
        print(f"\nkill loop: kills {kills}, posts {sum(posts.values())}, accepted "
              f"{sum(accepted.values())}, in doubt {sum(r['status'] == 'in_doubt' for r in res)} "
              f"({len(killed_in_flight)} left by kills)")
        self.assertGreaterEqual(kills, KILLS * 3 // 4, "most cycles must be killed mid-run")
        self.assertEqual([c for c in accepted.values() if c > 1], [], "a contact accepted twice")
        self.assertEqual([int(r["input_row"]) for r in res], list(range(2, N + 2)), "rows lost")
        self.assertLessEqual(len(killed_in_flight), kills * IN_FLIGHT)
        by_email = {r["email"]: r for r in res}
        for email, r in by_email.items():
            if r["status"] in ("sent", "skipped"):
                if "already sent" in r["reason"] or r["status"] == "sent":
                    self.assertEqual(accepted[email], 1, r)
            elif r["status"] == "in_doubt":
                # Never POSTed again after the attempt that may have reached the server.
                self.assertLessEqual(accepted[email], 1, r)
            else:
                self.assertEqual(r["status"], "failed", r)
                self.assertEqual(accepted[email], 0, r)
        # Every contact the server accepted is accounted for as sent (or in doubt).
        for email in accepted:
            self.assertIn(by_email[email]["status"], ("sent", "skipped", "in_doubt"))


if __name__ == "__main__":
    unittest.main()
