"""End to end: one rate budget per account (issue 11). Three processes of one account at
once (two invite runs and an export) against a simulator whose sliding window holds exactly
the configured rate: no 429, the combined rate within 1% of the limit, and no process
starved, all asserted from the simulator's request log.

The simulator's clock is its own threads': on a loaded machine they can see a request tens
of milliseconds late, which the 1% margin of a short window cannot absorb. So this test
runs alone (RUN_SERIAL in tests/CMakeLists.txt).

Under ASan+UBSan (CLOUTLY_SANITIZED) the three processes configure 19/s, 5% under the
server's window: a sanitized process can stall a request by more than the 100 ms the 1%
margin leaves, which is the sanitizer's cost, not the budget's. The normal build proves
the budget against a window that equals the configured rate."""
import collections
import os
import subprocess
import unittest

from harness import API_KEY, BIN, E2E, PG_BASE, contacts, pipeline_yaml, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class SharedBudget(E2E):
    """Three processes of one account at once against a server whose sliding window
    holds exactly the configured rate (20/s as 200 per 10 s). The 1% margin is then
    100 ms of the window: room for the simulator's own scheduling delays on a loaded
    test machine (at the real 100/min over 60 s it is 600 ms). The run lasts ~15 s,
    so the window is full for the last third of it."""
    sim_args = ("--rate-limit", "200", "--window", "10", "--reviews", "100")
    rate = 19 if os.environ.get("CLOUTLY_SANITIZED") else 20

    def test_two_runs_and_an_export_together_stay_under_the_limit_and_use_it(self):
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        procs, paths = [], []
        for name, start in (("pos", 0), ("crm", 1000)):
            d = os.path.join(self.dir, name)
            os.makedirs(d)
            inp = os.path.join(d, "in.csv")
            write_csv(inp, HEADER, contacts(100, start=start))
            y = pipeline_yaml(inp, os.path.join(d, "r.csv"), os.path.join(d, "j.csv"), name=name,
                              rate=f"{self.rate}/s", extra_api="  max_in_flight: 4\n")
            y = y.replace("state:\n  path: state.sqlite\n", "")
            paths.append(os.path.join(d, "p.yaml"))
            with open(paths[-1], "w") as f:
                f.write(y)
        export = os.path.join(self.dir, "export.yaml")
        with open(export, "w") as f:
            f.write("version: 1\nkind: export\nname: archive\napi:\n  api_key: ${CLOUTLY_API_KEY}\n"
                    f"  rate_limit: {self.rate}/s\nexport:\n  format: ndjson\n"
                    f"  output: {os.path.join(self.dir, 'reviews.ndjson')}\n  page_size: 1\n")
        for args in (("run", "-q", paths[0]), ("run", "-q", paths[1]), ("export", export)):
            procs.append(subprocess.Popen([BIN, *args], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, text=True))
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
        reqs = sorted(self.sim.requests(path=None), key=lambda r: r["t_arrival"])
        statuses = collections.Counter(r["status"] for r in reqs)
        self.assertEqual(statuses[429], 0, statuses)
        self.assertEqual(sum(1 for r in reqs if r["method"] == "POST"), 200)
        self.assertGreaterEqual(sum(1 for r in reqs if r["path"].endswith("/reviews")), 100)
        # The most requests the server saw in any one window: at most its limit.
        times = [r["t_arrival"] for r in reqs]
        j, peak = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - 10:
                j += 1
            peak = max(peak, i - j + 1)
        self.assertLessEqual(peak, 200)
        # The rate while all three were sending: up to the first to finish.
        def kind(r):
            if r["path"].endswith("/reviews"):
                return "export"
            return "pos" if int(r["body"]["channel"]["email"][6:].split("@")[0]) < 1000 else "crm"
        last = {k: max(r["t_arrival"] for r in reqs if kind(r) == k) for k in ("pos", "crm", "export")}
        overlap_end = min(last.values())
        during = [r for r in reqs if r["t_arrival"] <= overlap_end]
        span = during[-1]["t_arrival"] - during[0]["t_arrival"]
        rate = (len(during) - 1) / span
        share = collections.Counter(kind(r) for r in during)
        total_rate = (len(reqs) - 1) / (reqs[-1]["t_arrival"] - reqs[0]["t_arrival"])
        print(f"\nshared budget: {len(reqs)} requests, 429s {statuses[429]}, combined rate "
              f"{rate:.2f}/s while all three ran ({total_rate:.2f}/s overall) of 20/s; "
              f"shares {dict(share)}")
        self.assertGreaterEqual(rate, 0.95 * self.rate)
        self.assertLessEqual(rate, 20.0)
        # No process starves: each had at least a fifth of the requests while all ran.
        for k in ("pos", "crm", "export"):
            self.assertGreaterEqual(share[k], len(during) / 5, share)
        if PG_BASE:
            # e2e.pg.test_account_budget: the slots came from the database's
            # budget (store/budget_pg.c), one row for the account.
            rows = subprocess.run(["psql", "-X", "-At", "-c", "SELECT count(*) FROM cloutly_budget",
                                   os.environ["CLOUTLY_STATE_URL"]], capture_output=True,
                                  text=True, timeout=60)
            self.assertEqual(rows.stdout.strip(), "1", rows.stderr)


if __name__ == "__main__":
    unittest.main()
