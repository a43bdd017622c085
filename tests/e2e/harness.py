"""Shared pieces of the end-to-end tests: start the simulator on a free
loopback port, write a pipeline and an input into a temp folder, run the
real binary, and read back the results, the rejects and the simulator's
request log.

Every test runs build/cloutly-pipe (CLOUTLY_PIPE) as a user would and
asserts on what a user would see: exit code, output files, stderr, and
what the server received.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

SRC = os.environ.get("CLOUTLY_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CLOUTLY_PIPE") or os.path.join(SRC, "build", "cloutly-pipe")
SIM = os.path.join(SRC, "tests", "sim", "cloutly_sim.py")
API_KEY = "e2e-secret-key-7f3a9c"

# ---- The ledger on PostgreSQL (issue 16). ctest runs some test files a
# second time (e2e.pg.*) with CLOUTLY_E2E_PG set to the folder of the test
# PostgreSQL server (tests/pg/pg_server.py, the pg fixture). Then every test
# gets a fresh database as CLOUTLY_STATE_URL, and the pipelines pipeline_yaml
# writes name no state.path, so every ledger the test touches is that
# database. A check that opens the SQLite file itself says @sqlite_only.
PG_BASE = os.environ.get("CLOUTLY_E2E_PG") or None


def sqlite_only(why):
    return unittest.skipIf(PG_BASE, f"reads the SQLite ledger file itself: {why}")


def pg_server():
    """tests/pg/pg_server.py as a module."""
    sys.path.insert(0, os.path.join(SRC, "tests", "pg"))
    import pg_server as mod  # noqa: E402
    return mod
BUSINESS = "44271176-7053-4534-ad6f-b38d132d341e"
CAMPAIGN = "2c07094a-ed58-4cf2-9595-cf1b1d303d9d"


class Sim:
    """The Cloutly simulator as a child process, stopped with the test."""

    def __init__(self, workdir, *args, tls=None):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "sim-requests.ndjson")
        port_file = os.path.join(workdir, "sim.port")
        for stale in (port_file, self.log_path):
            if os.path.exists(stale):
                os.unlink(stale)
        cmd = [sys.executable, SIM, "--port", "0", "--port-file", port_file,
               "--api-key", API_KEY, "--log", self.log_path, *args]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.stderr = open(os.path.join(workdir, "sim.stderr"), "w")
        self.proc = subprocess.Popen(cmd, stderr=self.stderr, stdout=subprocess.DEVNULL)
        deadline = time.time() + 60  # only a hung simulator takes this long, even at ctest -j8
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("simulator did not start: " + open(self.stderr.name).read())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        scheme = "https" if tls else "http"
        host = "localhost" if tls else "127.0.0.1"
        self.base_url = f"{scheme}://{host}:{self.port}/api/v1"

    def requests(self, path="/api/v1/send-review-invite"):
        if not os.path.exists(self.log_path):
            return []
        out = []
        with open(self.log_path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    if path is None or r["path"] == path:
                        out.append(r)
        return out

    def accepted(self):
        return [r for r in self.requests() if r.get("accepted")]

    def counters(self):
        """The simulator's live counters (GET /_sim/counters): requests, in_flight,
        posts, accepted, gets, held. What a test waits on instead of sleeping."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_sim/counters", timeout=10) as r:
            return json.loads(r.read())

    def wait_for(self, what, pred, timeout=60):
        """Poll the counters until pred(counters) holds; fail loudly after timeout
        seconds (a generous bound that only a hung process reaches)."""
        return wait_until(what, lambda: pred(self.counters()), timeout)

    def quiesce(self, timeout=60):
        """Wait until no request is being handled, so that the log is complete."""
        return self.wait_for("the simulator to finish every request",
                             lambda c: c["in_flight"] == 0, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def wait_until(what, pred, timeout=60):
    """Poll pred() every 10 ms until it holds; raise naming `what` after timeout s."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


class Child:
    """The binary running in the background, its stderr going to a file that a
    test can wait on ("interrupted: finishing ..." means the signal was seen)."""

    def __init__(self, argv, env, workdir):
        fd, self.err_path = tempfile.mkstemp(prefix="child-stderr-", dir=workdir)
        with os.fdopen(fd, "w") as err:
            self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                         stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def stderr(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_stderr(self, text, timeout=60):
        wait_until(f"{text!r} on the child's stderr", lambda: text in self.stderr(), timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def finish(self, timeout=60):
        """Wait for the exit; (exit code, stderr)."""
        self.proc.wait(timeout)
        return self.proc.returncode, self.stderr()


def pipeline_yaml(input_path, results, rejects, *, rate="50/s", extra_api="", columns=None,
                  validate="  default_country: AU\n", invite_extra="", name="e2e", timeout="5s"):
    # Tests of other features must not depend on the hour they run at: the
    # default quiet hours (09:00-20:00 in the recipient's zone) are off
    # unless the test is about send windows (test_send_window.py).
    if "send_window" not in invite_extra:
        invite_extra = "  send_window: any\n" + invite_extra
    columns = columns or (
        '    firstName: "First Name"\n'
        '    lastName: "Last Name"\n'
        '    email: "Email"\n'
        '    phoneNumber: "Phone"\n'
        '    sourceContactId: "Id"\n')
    return (
        "version: 1\n"
        "kind: invite\n"
        f"name: {name}\n"
        "api:\n"
        "  api_key: ${CLOUTLY_API_KEY}\n"
        f"  rate_limit: {rate}\n"
        f"  timeout: {timeout}\n"
        "  retries: 3\n"
        f"{extra_api}"
        "input:\n"
        f"  path: {input_path}\n"
        "  columns:\n"
        f"{columns}"
        "validate:\n"
        f"{validate}"
        "invite:\n"
        f"  business_id: {BUSINESS}\n"
        f"  campaign_id: {CAMPAIGN}\n"
        "  invite_delay_days: 1\n"
        f"{invite_extra}"
        "output:\n"
        f"  results: {results}\n"
        f"  rejects: {rejects}\n"
        + ("" if PG_BASE else "state:\n  path: state.sqlite\n"))


def write_csv(path, header, rows, newline="\r\n"):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=newline)
        w.writerow(header)
        w.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def contacts(n, start=0):
    """n distinct valid contacts: Id, First Name, Last Name, Email, Phone (AU mobiles)."""
    return [(f"C{i}", f"First{i}", f"Last{i}", f"person{i}@example.com", f"04{12000000 + i:08d}")
            for i in range(start, start + n)]


class E2E(unittest.TestCase):
    """Base class: a temp folder, a simulator, and a runner for the binary."""

    sim_args = ()
    tls = None
    # CLOUTLY_NOW for every run of the test (None: the real clock). Tests
    # that run pipelines with the default quiet hours pin it inside them.
    clock = None

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="cloutly-e2e-")
        self.dir = self.tmp.name
        self.sim = Sim(self.dir, *self.sim_args, tls=self.tls) if self.sim_args is not None else None
        self.results = os.path.join(self.dir, "results.csv")
        self.rejects = os.path.join(self.dir, "rejects.csv")
        self.input = os.path.join(self.dir, "input.csv")
        self.pipeline = os.path.join(self.dir, "pipeline.yaml")
        # The account's state folder (ledger, rate budget, locks) is the test's
        # own, for every process it starts (run_cli or its own Popen).
        os.environ.pop("CLOUTLY_STATE_DIR", None)
        os.environ.pop("STATE_DIRECTORY", None)
        os.environ["XDG_STATE_HOME"] = os.path.join(self.dir, "xdg-state")
        os.environ.pop("CLOUTLY_STATE_URL", None)
        if PG_BASE:
            pg = pg_server()
            os.environ["CLOUTLY_STATE_URL"] = pg.create_database(PG_BASE, pg.unique_name("e2e"))

    def tearDown(self):
        if self.sim:
            self.sim.stop()
        self.tmp.cleanup()
        os.environ.pop("CLOUTLY_STATE_URL", None)

    def start_sim(self, *args):
        if self.sim:
            self.sim.stop()
        self.sim = Sim(self.dir, *args, tls=self.tls)

    def write_pipeline(self, **kw):
        with open(self.pipeline, "w") as f:
            f.write(pipeline_yaml(self.input, self.results, self.rejects, **kw))

    def run_cli(self, *args, env=None, timeout=120, base_url=None):
        e = dict(os.environ)
        e["CLOUTLY_API_KEY"] = API_KEY
        if self.sim:
            e["CLOUTLY_BASE_URL"] = base_url or self.sim.base_url
        if self.clock:
            e["CLOUTLY_NOW"] = self.clock
        if env:
            e.update(env)
        p = subprocess.run([BIN, *args], env=e, capture_output=True, text=True, timeout=timeout)
        # The key must never leak, whatever the test is about.
        for stream in (p.stdout, p.stderr):
            self.assertNotIn(API_KEY, stream)
        # JSON mode, whatever the test is about: every stderr line is an event.
        words = [str(a).lower() for a in args]
        if "--log-format=json" in words or any(
                a == "--log-format" and b == "json" for a, b in zip(words, words[1:])):
            assert_json_events(self, p.stderr)
        for path in (self.results, self.rejects):
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    self.assertNotIn(API_KEY, f.read())
        return p

    def start_cli(self, *args, env=None):
        """The binary in the background against the simulator, as a Child."""
        e = dict(os.environ, CLOUTLY_API_KEY=API_KEY)
        if self.sim:
            e["CLOUTLY_BASE_URL"] = self.sim.base_url
        if env:
            e.update(env)
        return Child([BIN, *args], e, self.dir)

    def ledger_rows(self, sqlite_path, sql):
        """Rows of `sql` on the test's ledger: the SQLite file, or the
        PostgreSQL database in PG mode (values as text there)."""
        if not PG_BASE:
            import sqlite3
            with sqlite3.connect(sqlite_path) as db:
                return db.execute(sql).fetchall()
        psql = os.path.join(pg_server()._bindir(), "psql")
        out = subprocess.run([psql, "-X", "-A", "-t", "-F", "\t", "-d", os.environ["CLOUTLY_STATE_URL"],
                              "-c", sql], capture_output=True, text=True, check=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines()]

    def assertRun(self, p, code):
        self.assertEqual(p.returncode, code, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")


# ---- Structured events (--log-format json): the schema the README documents.
# Every stderr line of a JSON-mode run must be one of these; other e2e tests
# call assert_json_events(self, p.stderr) on their own runs.
EVENT_COMMON = {"time": str, "level": str, "event": str, "run_id": (str, type(None)),
                "pipeline": (str, type(None)), "msg": str}
EVENT_FIELDS = {
    "message": {},
    "run_start": {},
    "row": {"input_row": int, "status": str, "reason": str, "http_status": int},
    "throttle_wait": {"wait_s": (int, float), "http_status": int, "input_row": int},
    "retry": {"input_row": int, "attempt": int, "wait_s": (int, float), "http_status": int},
    "http": {"method": str, "path": str, "status": int, "duration_ms": (int, float),
             "response_bytes": int, "error": (str, type(None))},
    "waiting": {"until": str, "contacts": int, "wait_s": (int, float)},
    "run_end": {"exit_code": int, "duration_s": (int, float), "counts": dict,
                "sms_left": (int, type(None))},
}
EVENT_LEVELS = ("error", "warning", "info", "debug")


def assert_json_events(test, stderr):
    """Every line parses, carries the common keys with their types, and the
    fields of its event; returns the events, in order."""
    import re
    events = []
    for n, line in enumerate(stderr.splitlines(), 1):
        try:
            ev = json.loads(line)
        except ValueError:
            test.fail(f"stderr line {n} is not JSON: {line!r}")
        test.assertIsInstance(ev, dict, line)
        for key, typ in EVENT_COMMON.items():
            test.assertIn(key, ev, f"line {n} lacks {key!r}: {line}")
            test.assertIsInstance(ev[key], typ, f"line {n}: {key}: {line}")
        test.assertIn(ev["level"], EVENT_LEVELS, line)
        test.assertIn(ev["event"], EVENT_FIELDS, f"line {n}: unknown event: {line}")
        test.assertRegex(ev["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        for key, typ in EVENT_FIELDS[ev["event"]].items():
            test.assertIn(key, ev, f"line {n} ({ev['event']}) lacks {key!r}: {line}")
            test.assertIsInstance(ev[key], typ, f"line {n}: {key}: {line}")
            test.assertNotIsInstance(ev[key], bool, line)
        if ev["event"] == "run_end":
            for k, v in ev["counts"].items():
                test.assertRegex(k, r"^[a-z_]+$")
                test.assertIsInstance(v, int)
        test.assertNotIn(API_KEY, line)
        events.append(ev)
    return events
