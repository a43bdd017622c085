"""End to end, issue 16: workers on several machines sharing one account's state in
PostgreSQL (state.url), against a real PostgreSQL server that the tests start
(tests/pg/pg_server.py; ctest's `pg` fixture) and the simulator.

A "worker" here is a process with its own working folder and its own state folder
(CLOUTLY_STATE_DIR): the two share no file, only the database URL, as two pods do.

  - Two workers run two pipelines of one account with overlapping contacts at once,
    through kill -9 cycles, against a server whose sliding window holds exactly the
    configured rate: the simulator counts 0 duplicate invites and 0 x 429, the busiest
    window stays within the limit, and every contact is accounted for (sent once, or
    in_doubt after a kill), with a last run of each settling every row.
  - The database restarted mid-run (its own server, so other tests are not hit): the
    run stops or goes on, 0 duplicates, and a rerun settles every row.
  - The database unreachable at start: nothing sent, exit 2 with the reason, and no
    password anywhere in the output.
  - A second worker's run of the same pipeline is refused naming the first (pid, host,
    pipeline), and a run of another pipeline proceeds.
Everything is asserted through the simulator's counters and log, the results files and
exit codes, never through sleeps."""
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from harness import API_KEY, BIN, E2E, SRC, contacts, pipeline_yaml, read_csv, wait_until, write_csv

sys.path.insert(0, os.path.join(SRC, "tests", "pg"))
import pg_server  # noqa: E402

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
PG_BASE = os.environ.get("CLOUTLY_PG_BASE")


def need_pg(test):
    return unittest.skipUnless(PG_BASE, "needs the test PostgreSQL (ctest fixture pg)")(test)


class Worker:
    """One worker: its own folder, state folder, pipeline and input."""

    def __init__(self, root, name, url, rows, *, rate="20/s", in_flight=4, extra_state=""):
        self.dir = os.path.join(root, "worker-" + name)
        os.makedirs(self.dir)
        self.name = name
        self.input = os.path.join(self.dir, "in.csv")
        write_csv(self.input, HEADER, rows)
        self.results = os.path.join(self.dir, "results.csv")
        y = pipeline_yaml(self.input, self.results, os.path.join(self.dir, "rejects.csv"),
                          name=name, rate=rate, extra_api=f"  max_in_flight: {in_flight}\n",
                          validate="  default_country: AU\n  cooldown_days: 90\n")
        y = y.replace("state:\n  path: state.sqlite\n", "") + f"state:\n  url: {url}\n{extra_state}"
        self.pipeline = os.path.join(self.dir, "pipeline.yaml")
        with open(self.pipeline, "w") as f:
            f.write(y)
        self.env = dict(os.environ, CLOUTLY_API_KEY=API_KEY,
                        CLOUTLY_STATE_DIR=os.path.join(self.dir, "state"))
        self.env.pop("XDG_STATE_HOME", None)
        self.env.pop("CLOUTLY_STATE_URL", None)  # the pipeline's state.url, nothing else
        self.files = []

    def close(self):
        for f in self.files:
            f.close()

    def start(self, base_url, *args):
        err = open(os.path.join(self.dir, f"stderr-{time.time_ns()}"), "w+")
        self.files.append(err)
        env = dict(self.env, CLOUTLY_BASE_URL=base_url)
        p = subprocess.Popen([BIN, "run", "-q", "--no-progress", *args, self.pipeline], env=env,
                             stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        p.err = err
        return p

    def run(self, base_url, *args, timeout=120):
        p = self.start(base_url, *args)
        p.wait(timeout)
        p.err.seek(0)
        return p.returncode, p.err.read()


def stderr_of(p):
    p.err.flush()
    p.err.seek(0)
    return p.err.read()


def wait_while_running(sim, what, pred, *procs, timeout=60):
    """Wait for pred(counters), failing at once with its stderr when a process
    it depends on has exited instead."""
    def check():
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"exited {p.returncode} before {what}: {stderr_of(p)}")
        return pred(sim.counters())
    return wait_until(what, check, timeout)


def accepted_by_email(sim):
    return collections.Counter(r["body"]["channel"]["email"] for r in sim.accepted())


class WorkersE2E(E2E):
    def worker(self, *args, **kw):
        w = Worker(self.dir, *args, **kw)
        self.addCleanup(w.close)
        return w

    def settle(self, w, p, n):
        """The first run `p` of worker `w` (n contacts) ends however the fault made
        it end; a rerun then settles everything: every contact invited exactly once
        or reported in doubt, none lost. (first exit, its stderr, the rerun's exit,
        accepted POSTs by email, the emails in doubt)."""
        p.wait(120)
        first_rc, first_err = p.returncode, stderr_of(p)
        # Stopped cleanly (a pipeline/database error, or interrupted) or went on.
        self.assertIn(first_rc, (0, 1, 2, 5), first_err)
        self.assertNotIn("Sanitizer", first_err)
        rc, err = w.run(self.sim.base_url)
        self.assertIn(rc, (0, 1), err)
        self.sim.quiesce()
        rows = read_csv(w.results)
        self.assertEqual(len(rows), n)
        by_email = accepted_by_email(self.sim)
        self.assertEqual(self.sim.counters()["duplicates"], 0)
        self.assertTrue(all(c == 1 for c in by_email.values()), by_email)
        doubt = {r["email"] for r in rows if r["status"] == "in_doubt"}
        for r in rows:
            self.assertIn(r["status"], ("sent", "skipped", "in_doubt"), r)
        self.assertEqual({f"person{i}@example.com" for i in range(n)} - set(by_email) - doubt,
                         set())
        return first_rc, first_err, rc, by_email, doubt


class TwoWorkers(WorkersE2E):
    """200 per 10 s at the server (the run lasts longer than the window), 20/s
    configured by both pipelines: each alone would send at 20/s, so two that did
    not share the budget would send at twice the limit and earn 429s. The 1%
    margin is 100 ms of the window, room for the simulator's own scheduling delays."""
    sim_args = ("--rate-limit", "200", "--window", "10")

    @need_pg
    def test_two_workers_with_kills_share_cooldowns_and_the_rate_with_no_duplicate(self):
        url = pg_server.create_database(PG_BASE, pg_server.unique_name("workers"))
        pos = self.worker("pos", url, contacts(160, start=0))
        crm = self.worker("crm", url, contacts(160, start=80))  # 80 people in both
        # Kill cycles: each kill lands after the worker has sent something new
        # (the simulator's counters say so), alternating between the two.
        kills = 0
        procs = {"pos": pos.start(self.sim.base_url), "crm": crm.start(self.sim.base_url)}
        for cycle in range(4):
            victim = ("pos", "crm")[cycle % 2]
            seen = self.sim.counters()["posts"]
            self.sim.wait_for("new POSTs", lambda c: c["posts"] >= seen + 25 or all(
                p.poll() is not None for p in procs.values()), timeout=60)
            p = procs[victim]
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            p.wait(30)
            procs[victim] = (pos if victim == "pos" else crm).start(self.sim.base_url)
        for name, p in procs.items():
            p.wait(120)
            self.assertIn(p.returncode, (0, 1), f"{name}: {stderr_of(p)}")
        # A last run of each settles every row (nothing is left to send).
        settled = {}
        for w in (pos, crm):
            rc, err = w.run(self.sim.base_url)
            self.assertIn(rc, (0, 1), err)
            settled[w.name] = read_csv(w.results)
        self.sim.quiesce()
        c = self.sim.counters()
        reqs = sorted(self.sim.requests(path=None), key=lambda r: r["t_arrival"])
        statuses = collections.Counter(r["status"] for r in reqs)
        self.assertEqual(c["duplicates"], 0)
        self.assertEqual(c["limited"], 0)
        self.assertEqual(statuses[429], 0, statuses)
        by_email = accepted_by_email(self.sim)
        self.assertTrue(all(n == 1 for n in by_email.values()), by_email.most_common(3))
        # Every contact: sent once, or in doubt (a kill caught its request in flight).
        doubt = set()
        for w, rows in settled.items():
            self.assertEqual(len(rows), 160, w)
            for r in rows:
                self.assertIn(r["status"], ("skipped", "in_doubt", "sent"), r)
                if r["status"] == "in_doubt":
                    doubt.add(r["email"])
                if r["status"] == "sent":
                    self.assertEqual(by_email[r["email"]], 1)
        everyone = {f"person{i}@example.com" for i in range(240)}
        self.assertEqual(everyone - set(by_email) - doubt, set())
        self.assertLessEqual(len(doubt), kills * 4)  # at most max_in_flight per kill
        # The busiest 10 s the server saw: within its limit.
        times = [r["t_arrival"] for r in reqs]
        j, peak = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - 10:
                j += 1
            peak = max(peak, i - j + 1)
        self.assertLessEqual(peak, 200)
        rate = (len(reqs) - 1) / (reqs[-1]["t_arrival"] - reqs[0]["t_arrival"])
        self.assertLessEqual(rate, 20.0)  # both together: the account's one limit
        print(f"\npg workers: {len(reqs)} requests, {len(by_email)} contacts invited once, "
              f"{len(doubt)} in doubt after {kills} kills, duplicates {c['duplicates']}, "
              f"429s {statuses[429]}, busiest 10 s window {peak} of 200, "
              f"overall {rate:.2f}/s of 20/s")

    @need_pg
    def test_second_worker_is_refused_naming_the_first_and_another_pipeline_proceeds(self):
        url = pg_server.create_database(PG_BASE, pg_server.unique_name("locks"))
        hold = os.path.join(self.dir, "hold")
        self.start_sim("--hold-file", hold)
        open(hold, "w").close()
        a = self.worker("nightly", url, contacts(3))
        b = self.worker("nightly-b", url, contacts(3, start=10))
        other = self.worker("campaign", url, contacts(3, start=20))
        # b is the same pipeline (same name) as a, from another worker's folder.
        with open(b.pipeline) as f:
            text = f.read().replace("name: nightly-b\n", "name: nightly\n")
        with open(b.pipeline, "w") as f:
            f.write(text)
        first = a.start(self.sim.base_url)
        wait_while_running(self.sim, "the first run's request to be held",
                           lambda c: c["held"] >= 1, first)
        rc, err = b.run(self.sim.base_url)
        self.assertEqual(rc, 2, err)
        self.assertIn("another run of pipeline 'nightly' is in progress", err)
        self.assertIn(f"pid {first.pid} on host ", err)
        # Another pipeline of the account is not held back by it.
        second = other.start(self.sim.base_url)
        wait_while_running(self.sim, "the other pipeline's request", lambda c: c["held"] >= 2,
                           first, second)
        os.unlink(hold)
        for p in (first, second):
            p.wait(60)
            self.assertEqual(p.returncode, 0, stderr_of(p))
        self.assertEqual(self.sim.counters()["duplicates"], 0)
        self.assertEqual(len(self.sim.accepted()), 6)

    @need_pg
    def test_export_since_last_run_locks_in_the_database(self):
        url = pg_server.create_database(PG_BASE, pg_server.unique_name("export"))
        d = os.path.join(self.dir, "export-worker")
        os.makedirs(d)
        pfile = os.path.join(d, "export.yaml")
        with open(pfile, "w") as f:
            f.write("version: 1\nkind: export\nname: archive\napi:\n  api_key: ${CLOUTLY_API_KEY}\n"
                    "  rate_limit: 50/s\nexport:\n  format: ndjson\n"
                    f"  output: {os.path.join(d, 'reviews.ndjson')}\n  since: last_run\n"
                    f"state:\n  url: {url}\n")
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url,
                   CLOUTLY_STATE_DIR=os.path.join(d, "state"))
        for _ in range(2):
            r = subprocess.run([BIN, "export", pfile], env=env, cwd=d, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
        # The lock is the database's: no lock file beside a URL taken for a path.
        self.assertEqual(sorted(os.listdir(d)), ["export.yaml", "reviews.ndjson", "state"])

    def test_unreachable_database_sends_nothing_and_shows_no_password(self):
        pwfile = os.path.join(self.dir, "pg-password")
        with open(pwfile, "w") as f:
            f.write("File-Secret-73a1\n")
        os.chmod(pwfile, 0o600)
        w = self.worker("down", "postgresql://cp:Url-Secret-19bc@/cloutly?host=/nonexistent/pg",
                   contacts(5), extra_state=f"  password_file: {pwfile}\n")
        rc, err = w.run(self.sim.base_url)
        self.assertEqual(rc, 2, err)
        self.assertIn("cannot connect to the database", err)
        self.assertIn("postgresql://cp@/cloutly", err)
        for secret in ("Url-Secret-19bc", "File-Secret-73a1", API_KEY):
            self.assertNotIn(secret, err)
        self.assertEqual(self.sim.counters()["requests"], 0)
        self.assertEqual(self.sim.requests(path=None), [])


class DatabaseRestart(WorkersE2E):
    """The database restarts while a run sends: its own server in its own folder."""
    sim_args = ("--latency-ms", "20")

    def setUp(self):
        super().setUp()
        if not PG_BASE:
            self.skipTest("needs the test PostgreSQL (ctest fixture pg)")
        # Under /tmp, not the test's 0700 folder: the server runs as `postgres`.
        self.pg_dir = tempfile.mkdtemp(prefix="cp-pgrestart-")
        self.info = pg_server.start(self.pg_dir)

    def tearDown(self):
        pg_server.stop(self.pg_dir)
        shutil.rmtree(self.pg_dir, ignore_errors=True)
        super().tearDown()

    def test_restart_mid_run_no_duplicate_and_a_rerun_settles_everything(self):
        url = pg_server.create_database(self.info, "restart")
        w = self.worker("restart", url, contacts(150), rate="50/s")
        p = w.start(self.sim.base_url)
        wait_while_running(self.sim, "the run to be sending", lambda c: c["posts"] >= 30, p)
        pg_server.restart(self.pg_dir)
        first_rc, first_err, rc, by_email, doubt = self.settle(w, p, 150)
        last = (first_err.strip().splitlines() or [""])[-1]
        print(f"\npg restart: first run exit {first_rc} ({last[:200]}), {len(by_email)} invited once, "
              f"{len(doubt)} in doubt, duplicates 0; rerun exit {rc}")


class ConnectionDropped(WorkersE2E):
    """The database drops the run's connections between an intent and the POST's
    answer: the first request (it goes alone) is held by the simulator with its
    intent committed, every session of the run's database is terminated, then the
    answer comes. The outcome either reaches the reconnected ledger or the row stays
    an intent that the rerun reports in doubt: never sent twice, never lost."""
    sim_args = ("--latency-ms", "5")

    @need_pg
    def test_dropped_between_intent_and_answer_no_duplicate_no_lost_row(self):
        info = pg_server._read_info(PG_BASE)
        db = pg_server.unique_name("dropped")
        url = pg_server.create_database(info, db)
        hold = os.path.join(self.dir, "hold")
        self.start_sim("--latency-ms", "5", "--hold-file", hold)
        open(hold, "w").close()
        w = self.worker("dropped", url, contacts(40), rate="50/s")
        p = w.start(self.sim.base_url)
        wait_while_running(self.sim, "the first request to be held", lambda c: c["held"] >= 1, p)
        pg_server._psql(info, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{db}' AND pid <> pg_backend_pid()")
        os.unlink(hold)
        first_rc, first_err, rc, by_email, doubt = self.settle(w, p, 40)
        # Only what was in flight when the connection dropped can be in doubt.
        self.assertLessEqual(len(doubt), 1, doubt)
        print(f"\npg connection dropped: first run exit {first_rc}, {len(by_email)} invited once, "
              f"{len(doubt)} in doubt, duplicates 0; rerun exit {rc}")


if __name__ == "__main__":
    unittest.main()
