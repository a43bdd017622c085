"""The operator's kit, end to end (issue 14): structured events, the
metrics file, the dead-man's-switch pings, `run --input -`, default result
paths that never overwrite, and the summary's levels and words."""
import http.server
import os
import re
import shutil
import subprocess
import threading
import unittest

import harness
from harness import E2E, assert_json_events, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
BAD = [("B1", "Bad", "Row", "bad@@x.com", ""), ("B2", "", "", "", "")]

# ---- Prometheus text format: promtool when installed, else a strict parser.
METRIC_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\})?'
    r' (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf))( -?[0-9]+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"')


def parse_prometheus(test, text):
    """{(name, frozenset(labels)): value}; fails the test on anything the
    text exposition format does not allow."""
    test.assertTrue(text.endswith("\n"), "the file must end with a newline")
    types, samples, seen_names = {}, {}, []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            test.assertEqual(len(parts), 4, line)
            test.assertIn(parts[3], ("counter", "gauge", "histogram", "summary", "untyped"))
            test.assertNotIn(parts[2], types, f"line {n}: a second TYPE for {parts[2]}")
            test.assertNotIn(parts[2], seen_names, f"line {n}: TYPE after the samples")
            types[parts[2]] = parts[3]
            continue
        test.assertFalse(line.startswith("#"), f"line {n}: {line}")
        m = METRIC_LINE.match(line)
        test.assertIsNotNone(m, f"line {n} is not a sample: {line!r}")
        name = m.group(1)
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        key = (name, labels)
        test.assertNotIn(key, samples, f"line {n}: a repeated series")
        samples[key] = float(m.group(4))
        seen_names.append(name)
        if types.get(name) == "counter":
            test.assertTrue(name.endswith("_total"), name)
    return samples


def check_metrics(test, path):
    promtool = shutil.which("promtool")
    if promtool:
        with open(path) as f:
            p = subprocess.run([promtool, "check", "metrics"], stdin=f, capture_output=True,
                               text=True)
        test.assertEqual(p.returncode, 0, p.stdout + p.stderr)
    return parse_prometheus(test, slurp(path))


def slurp(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def spit(path, text):
    with open(path, "w") as f:
        f.write(text)


def value(samples, name, **labels):
    for (n, ls), v in samples.items():
        if n == name and all((k, str(val)) in ls for k, val in labels.items()):
            return v
    return None


class PingListener:
    """A healthchecks.io stand-in on 127.0.0.1: records (path, body)."""

    def __init__(self):
        self.hits = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                outer.hits.append((self.path, self.rfile.read(n).decode()))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_GET = do_POST

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def status_counts(rows):
    out = {}
    for r in rows:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


class Events(E2E):
    def setUp(self):
        super().setUp()
        write_csv(self.input, HEADER, contacts(6) + BAD)

    def test_every_line_is_an_event_and_run_end_matches_the_results(self):
        self.write_pipeline()
        for extra in ((), ("-v",), ("-q",)):
            self.start_sim("--fault", "2=503", "--storm-429", "4:1", "--retry-after", "0")
            if os.path.exists(self.results):
                os.unlink(self.results)
            p = self.run_cli("run", self.pipeline, "--log-format", "json", *extra)
            self.assertRun(p, 0)
            events = assert_json_events(self, p.stderr)
            names = [e["event"] for e in events]
            self.assertLess(names.index("run_start"), min(
                [i for i, n in enumerate(names) if n in ("row", "http")] or [len(names)]))
            self.assertEqual(names.count("run_start"), 1, names)
            self.assertEqual(names[-1], "run_end", names)
            end = events[-1]
            self.assertEqual(end["exit_code"], p.returncode)
            counts = {k: v for k, v in end["counts"].items() if v}
            self.assertEqual(counts, status_counts(read_csv(self.results)))
            self.assertEqual(end["rows"], len(read_csv(self.results)))
            self.assertIsInstance(end["sms_left"], int)
            run_ids = {e["run_id"] for e in events}
            self.assertEqual(len(run_ids), 1, run_ids)
            self.assertRegex(run_ids.pop(), r"^\d{8}T\d{6}-[0-9a-f]{4}$")
            self.assertEqual({e["pipeline"] for e in events}, {"e2e"})
            if extra == ("-v",):
                self.assertIn("http", names)
                self.assertIn("row", names)
                self.assertIn("retry", names)
                self.assertIn("throttle_wait", names)
                rows = [e for e in events if e["event"] == "row"]
                self.assertEqual(len(rows), 8)
                http_ev = [e for e in events if e["event"] == "http"]
                self.assertEqual(len(http_ev), len(self.sim.requests()))
            if extra == ("-q",):
                self.assertEqual(names, ["run_start", "run_end"])
            # start over for the next pass: a fresh ledger
            os.unlink(os.path.join(self.dir, "state.sqlite"))

    def test_an_error_is_an_event_too(self):
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline, "--log-format", "json",
                         env={"CLOUTLY_API_KEY": "wrong-key"})
        self.assertRun(p, 3)
        events = assert_json_events(self, p.stderr)
        self.assertEqual(events[-1]["event"], "run_end")
        self.assertEqual(events[-1]["exit_code"], 3)
        self.assertEqual(events[-1]["level"], "warning")
        self.assertTrue(any(e["level"] == "error" for e in events))


class Metrics(E2E):
    def setUp(self):
        super().setUp()
        write_csv(self.input, HEADER, contacts(5) + BAD)
        self.metrics = os.path.join(self.dir, "node", "cloutly.prom")

    def test_metrics_file_parses_and_counts_match(self):
        self.start_sim("--fault", "3=400")
        self.write_pipeline(invite_extra="")
        text = slurp(self.pipeline).replace("output:\n", f"output:\n  metrics: {self.metrics}\n")
        spit(self.pipeline, text)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        s = check_metrics(self, self.metrics)
        self.assertEqual(os.stat(self.metrics).st_mode & 0o777, 0o600)
        results = status_counts(read_csv(self.results))
        for status in ("sent", "rejected", "failed", "skipped", "in_doubt"):
            self.assertEqual(value(s, "cloutly_pipe_rows", status=status, pipeline="e2e",
                                   business=harness.BUSINESS), results.get(status, 0), status)
        self.assertEqual(value(s, "cloutly_pipe_last_exit_code"), 1)
        self.assertIsNone(value(s, "cloutly_pipe_last_success_timestamp_seconds"))
        self.assertEqual(value(s, "cloutly_pipe_http_requests_total", code="200"), 4)
        self.assertEqual(value(s, "cloutly_pipe_http_requests_total", code="400"), 1)
        self.assertEqual(value(s, "cloutly_pipe_sms_limits_left"), 996)
        self.assertGreater(value(s, "cloutly_pipe_run_duration_seconds"), 0)
        # A clean run moves last_success; a failing one after it keeps it.
        write_csv(self.input, HEADER, contacts(2, start=100))
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        s = check_metrics(self, self.metrics)
        ok = value(s, "cloutly_pipe_last_success_timestamp_seconds")
        self.assertEqual(ok, value(s, "cloutly_pipe_last_run_timestamp_seconds"))
        write_csv(self.input, HEADER, contacts(2, start=200))
        self.start_sim("--fault", "1=400")
        self.assertRun(self.run_cli("run", self.pipeline), 1)
        s = check_metrics(self, self.metrics)
        self.assertEqual(value(s, "cloutly_pipe_last_success_timestamp_seconds"), ok)
        self.assertGreater(value(s, "cloutly_pipe_last_run_timestamp_seconds"), ok)

    def test_metrics_file_option_and_no_tmp_left(self):
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline, "--metrics-file", self.metrics)
        self.assertRun(p, 0)
        s = check_metrics(self, self.metrics)
        self.assertEqual(value(s, "cloutly_pipe_rows", status="sent"), 5)
        self.assertEqual(os.listdir(os.path.dirname(self.metrics)), ["cloutly.prom"])


class Ping(E2E):
    def setUp(self):
        super().setUp()
        write_csv(self.input, HEADER, contacts(3))
        self.listener = PingListener()

    def tearDown(self):
        self.listener.stop()
        super().tearDown()

    def pipeline_with_ping(self, url):
        self.write_pipeline()
        with open(self.pipeline, "a") as f:
            f.write(f"notify:\n  ping_url: {url}\n")

    def test_start_then_success(self):
        self.pipeline_with_ping(f"http://127.0.0.1:{self.listener.port}/ping/abc")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        paths = [h[0] for h in self.listener.hits]
        self.assertEqual(paths, ["/ping/abc/start", "/ping/abc"])
        self.assertIn("sent 3", self.listener.hits[1][1])
        self.assertIn("exit code 0", self.listener.hits[1][1])

    def test_start_then_exit_code(self):
        self.start_sim("--fault", "1=400")
        self.pipeline_with_ping(f"http://127.0.0.1:{self.listener.port}/ping/abc")
        self.assertRun(self.run_cli("run", self.pipeline), 1)
        self.assertEqual([h[0] for h in self.listener.hits], ["/ping/abc/start", "/ping/abc/1"])
        self.assertIn("failed 1", self.listener.hits[1][1])

    def test_auth_failure_pings_its_code(self):
        self.pipeline_with_ping(f"http://127.0.0.1:{self.listener.port}/p")
        p = self.run_cli("run", self.pipeline, env={"CLOUTLY_API_KEY": "wrong"})
        self.assertRun(p, 3)
        self.assertEqual([h[0] for h in self.listener.hits], ["/p/start", "/p/3"])

    def test_dead_listener_changes_nothing(self):
        port = self.listener.port
        self.listener.stop()
        self.listener = PingListener()  # for tearDown; the pipeline names the dead port
        self.pipeline_with_ping(f"http://127.0.0.1:{port}/gone")
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("ping", p.stderr)
        self.assertEqual(len(self.sim.accepted()), 3)

    def test_run_that_cannot_start_pings_its_code(self):
        self.pipeline_with_ping(f"http://127.0.0.1:{self.listener.port}/p")
        os.unlink(self.input)
        p = self.run_cli("run", self.pipeline, "--log-format", "json")
        self.assertRun(p, 4)
        self.assertEqual([h[0] for h in self.listener.hits], ["/p/start", "/p/4"])
        events = assert_json_events(self, p.stderr)
        self.assertEqual([e["event"] for e in events if e["event"] != "message"],
                         ["run_start", "run_end"])
        self.assertEqual(events[-1]["exit_code"], 4)

    def test_dry_run_does_not_ping(self):
        self.pipeline_with_ping(f"http://127.0.0.1:{self.listener.port}/p")
        self.assertRun(self.run_cli("run", self.pipeline, "--dry-run"), 0)
        self.assertEqual(self.listener.hits, [])

    def test_ping_url_must_be_https(self):
        self.pipeline_with_ping("http://example.com/p")
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("ping_url", p.stderr)


class StdinAndPaths(E2E):
    def test_input_from_a_pipe(self):
        write_csv(self.input, HEADER, contacts(4) + BAD)
        self.write_pipeline()
        data = slurp(self.input, "rb")
        e = dict(os.environ, CLOUTLY_API_KEY=harness.API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        p = subprocess.run([harness.BIN, "run", self.pipeline, "--input", "-"], input=data, env=e,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.sim.accepted()), 4)
        self.assertEqual(len(read_csv(self.results)), 6)
        left = [f for f in os.listdir(self.dir) if "stdin" in f]
        self.assertEqual(left, [], "the spooled copy is removed")
        # The same bytes again: the file hash holds, nothing is sent twice.
        p = subprocess.run([harness.BIN, "run", self.pipeline, "--input", "-"], input=data, env=e,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.sim.accepted()), 4)
        self.assertIn("already sent by an earlier run", slurp(self.results))

    def test_empty_pipe_says_so(self):
        self.write_pipeline()
        e = dict(os.environ, CLOUTLY_API_KEY=harness.API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        p = subprocess.run([harness.BIN, "run", self.pipeline, "--input", "-"], input=b"", env=e,
                           capture_output=True, text=False, timeout=60)
        self.assertEqual(p.returncode, 4)
        self.assertIn(b"standard input is empty", p.stderr)

    def test_default_results_paths_do_not_overwrite(self):
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        text = re.sub(r"output:\n  results: .*\n  rejects: .*\n", "", slurp(self.pipeline))
        spit(self.pipeline, text)
        for _ in range(2):
            self.assertRun(self.run_cli("run", self.pipeline, "--dry-run"), 0)
        out = sorted(f for f in os.listdir(os.path.join(self.dir, "out")) if f.endswith("-results.csv"))
        self.assertEqual(len(out), 2, out)


class Wording(E2E):
    def test_summary_is_info_and_failures_one_warning(self):
        write_csv(self.input, HEADER, contacts(3) + BAD)
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        self.assertNotIn("warning", p.stderr)
        self.assertIn("e2e: sent 3", p.stderr)
        self.start_sim("--fault", "1=400")
        write_csv(self.input, HEADER, contacts(3, start=50))
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 1)
        warnings = [l for l in p.stderr.splitlines() if "warning" in l]
        self.assertEqual(len(warnings), 1, p.stderr)
        self.assertIn("1 row failed and 0 are in doubt", warnings[0])
        p = self.run_cli("run", self.pipeline, "-q")
        self.assertNotIn("sent", p.stderr)

    def test_resumed_summary_says_what_earlier_runs_sent(self):
        write_csv(self.input, HEADER, contacts(4))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline, "--limit", "2"), 0)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("earlier run of this file: sent 2", p.stderr)

    def test_skipped_row_does_not_say_sent(self):
        # A phone that does not parse: validation notes "sent by email only".
        write_csv(self.input, HEADER, [("C1", "Ann", "A", "ann@example.com", "12")])
        self.write_pipeline()
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        # Another pipeline of the account, another file, the same person: the
        # cooldown skips her.
        self.write_pipeline(name="other")
        write_csv(self.input, HEADER, [("C9", "Ann", "A", "ann@example.com", "12"),
                                       ("C8", "Bob", "B", "bob@example.com", "12")])
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        rows = read_csv(self.results)
        self.assertEqual(rows[0]["status"], "skipped")
        self.assertNotIn("sent by email only", rows[0]["reason"])
        self.assertTrue(rows[0]["reason"].endswith("; invited today (cooldown 90 days)"),
                        rows[0]["reason"])
        self.assertEqual(rows[1]["status"], "sent")
        self.assertTrue(rows[1]["reason"].endswith("sent by email only"), rows[1]["reason"])


class ExportOps(E2E):
    def test_export_events_and_metrics(self):
        metrics = os.path.join(self.dir, "export.prom")
        out = os.path.join(self.dir, "reviews.ndjson")
        spit(self.pipeline, "version: 1\nkind: export\nname: arch\napi:\n"
             "  api_key: ${CLOUTLY_API_KEY}\n  rate_limit: 50/s\n"
             f"export:\n  output: {out}\n  page_size: 7\n  metrics: {metrics}\n"
             "state:\n  path: state.sqlite\n")
        p = self.run_cli("run", self.pipeline, "--log-format", "json", "-v")
        self.assertRun(p, 0)
        events = assert_json_events(self, p.stderr)
        end = events[-1]
        self.assertEqual(end["event"], "run_end")
        n = len(slurp(out).splitlines())
        self.assertEqual(n, 30)
        self.assertEqual(end["counts"]["written"], n)
        self.assertEqual(end["pages"], 5)
        self.assertIn("http", [e["event"] for e in events])
        s = check_metrics(self, metrics)
        self.assertEqual(value(s, "cloutly_pipe_rows", status="written", pipeline="arch"), n)
        # Every page was one GET the server answered 200, and the metrics count them.
        gets = self.sim.requests("/api/v1/reviews")
        self.assertEqual(len(gets), 5)
        self.assertEqual(value(s, "cloutly_pipe_http_requests_total", code="200", pipeline="arch"),
                         len(gets))
        # The export command takes --metrics-file too, and says "1 page".
        other = os.path.join(self.dir, "cli.prom")
        p = self.run_cli("export", self.pipeline, "--metrics-file", other, "--output",
                         os.path.join(self.dir, "again.ndjson"), "--since", "2000-01-01")
        self.assertRun(p, 0)
        s = check_metrics(self, other)
        self.assertEqual(value(s, "cloutly_pipe_rows", status="written"), n)
        self.assertEqual(value(s, "cloutly_pipe_http_requests_total", code="200"),
                         len(self.sim.requests("/api/v1/reviews")) - len(gets))
        self.assertIn("30 reviews written", p.stderr)
        self.assertNotIn("unknown", p.stderr)


if __name__ == "__main__":
    unittest.main()
