"""End to end, as data: every folder tests/e2e/cases/NNN-name/ is one case (the
pipeline, the input, the simulator's flags, the command lines) and its expected
outcome (exit codes, results and rejects CSV, what the simulator received, the
files left behind, lines of stdout/stderr). This runner plays each case against
the real binary and a fresh simulator and compares; cases/README.md says how to
write one and how to regenerate its expectations (CLOUTLY_UPDATE_GOLDEN=1).

Each case is a generated test method named after its folder, and every
expectation a subTest, so a failure names the case folder and shows a diff.
"""
import concurrent.futures
import csv
import io
import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import API_KEY, BIN, SRC, Sim

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
UPDATE = os.environ.get("CLOUTLY_UPDATE_GOLDEN") == "1"
CASE_NAME = re.compile(r"^[0-9]{3}-[a-z0-9][a-z0-9-]*$")

# Files of a case folder that describe the case or its expectations; every
# other file (pipeline.yaml, input.csv, ...) is copied into the work folder.
SPEC_FILES = {"cmd", "sim.args", "env", "mask", "exit", "results.csv", "rejects.csv",
              "requests.txt", "files.txt", "README.md", ".gitignore"}
STREAM_FILE = re.compile(r"^(stdout|stderr)(\.[0-9]+)?(\.actual)?$")

# Columns of the results CSV that differ on every run; they are compared by
# shape, not value (see README.md).
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$")
LEDGER_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC")


def read_lines(path):
    """A spec file's meaningful lines: no blank lines, no '# ' comments."""
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]


def mask_results(text, mask_lines):
    """The results CSV with what differs from run to run reduced to its shape:
    processed_at -> <time>, contact_id -> <uuid>, a ledger time inside a
    reason ("2026-12-01 10:18 UTC") -> <when>; and, per line of the case's
    `mask` file, `COLUMN` (a non-empty cell -> <set>) or `COLUMN ~ REGEX`
    (each match in the cell -> <~>). An empty cell stays empty, and a value
    of the wrong shape stays as it is, so that it shows in the diff."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return rows
    header = rows[0]
    whole = {"processed_at": (ISO_TIME, "<time>"), "contact_id": (UUID, "<uuid>")}
    parts = [("reason", LEDGER_TIME, "<when>")]
    for ln in mask_lines:
        col, sep, rx = ln.partition("~")
        if sep:
            parts.append((col.strip(), re.compile(rx.strip()), "<~>"))
        else:
            whole[col.strip()] = (re.compile(".+", re.S), "<set>")
    for row in rows[1:]:
        for i, name in enumerate(header):
            if i >= len(row) or not row[i]:
                continue
            if name in whole and whole[name][0].match(row[i]):
                row[i] = whole[name][1]
            for col, rx, token in parts:
                if col == name:
                    row[i] = rx.sub(token, row[i])
    return rows


def render_csv(rows, newline):
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue()


def line_end(text):
    return "\r\n" if "\r\n" in text else "\n"


def request_line(r):
    """One simulator log record as one line of requests.txt."""
    path = r["path"]
    if path.startswith("/api/v1"):
        path = path[len("/api/v1"):]
    if r.get("query"):
        path += "?" + "&".join(f"{k}={v}" for k, v in sorted(r["query"].items()))
    parts = [r["method"], path, "reset" if r["status"] is None else str(r["status"])]
    if r.get("accepted"):
        parts.append("accepted")
    if r.get("fault"):
        parts.append("fault=" + r["fault"])
    if r.get("body") is not None:
        parts.append(json.dumps(r["body"], sort_keys=True, ensure_ascii=False,
                                separators=(",", ":")))
    return " ".join(parts)


def match_patterns(patterns, text):
    """None if every pattern holds for the stream `text`, else what failed.
    Positive patterns match in order: each one a line at or after the line
    the previous one matched (other lines may come between); '!' patterns
    must match no line at all."""
    lines = text.splitlines()
    at = 0
    for pat in patterns:
        negative = pat.startswith("!")
        body = pat[1:] if negative else pat
        if body.startswith("re:"):
            rx = re.compile(body[3:])
            hit = rx.search
        else:
            hit = lambda line, b=body: b in line  # noqa: E731
        if negative:
            bad = [ln for ln in lines if hit(ln)]
            if bad:
                return f"pattern {pat!r} must match no line, but matched {bad[0]!r}"
            continue
        while at < len(lines) and not hit(lines[at]):
            at += 1
        if at == len(lines):
            return f"pattern {pat!r} matched no line from the previous pattern's on"
    return None


class Case:
    """One case folder, played once: commands, then what they left behind."""

    def __init__(self, folder):
        self.folder = folder
        self.name = os.path.basename(folder)
        self.tmp = tempfile.TemporaryDirectory(prefix=f"cloutly-case-{self.name}-")
        self.work = os.path.join(self.tmp.name, "work")
        self.simdir = os.path.join(self.tmp.name, "sim")
        os.mkdir(self.work)
        os.mkdir(self.simdir)
        self.sim = None
        self.runs = []  # (argv, CompletedProcess) per cloutly-pipe command

    def spec(self, name):
        return os.path.join(self.folder, name)

    def has(self, name):
        return os.path.exists(self.spec(name))

    def fill(self, text):
        """The placeholders a case may use in its pipeline, cmd, env and patterns."""
        return (text.replace("@BASE_URL@", self.sim.base_url)
                    .replace("@WORK@", self.work)
                    .replace("@SRC@", SRC))

    def play(self):
        sim_args = []
        if self.has("sim.args"):
            for ln in read_lines(self.spec("sim.args")):
                sim_args += shlex.split(ln, comments=True)
        self.sim = Sim(self.simdir, *[a.replace("@WORK@", self.work) for a in sim_args])
        self.copied = {}  # path in the work folder -> the bytes put there
        for name in sorted(os.listdir(self.folder)):
            if name in SPEC_FILES or STREAM_FILE.match(name):
                continue
            src, dst = self.spec(name), os.path.join(self.work, name)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
                for root, _, files in os.walk(dst):
                    for f in files:
                        self.remember(os.path.relpath(os.path.join(root, f), self.work))
                continue
            if name.endswith(".yaml"):
                with open(src, encoding="utf-8") as f:
                    text = self.fill(f.read())
                with open(dst, "w", encoding="utf-8") as f:
                    f.write(text)
            else:
                shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)  # whatever the checkout gave it: files.txt lists modes
            self.remember(name)
        os.umask(0o022)  # the modes in files.txt must not depend on the caller's umask
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        # The account's state folder (locks, rate budget, default ledger) is the case's
        # own, outside the work folder whose files the case lists.
        env.pop("CLOUTLY_STATE_DIR", None)
        env.pop("STATE_DIRECTORY", None)
        env["XDG_STATE_HOME"] = os.path.join(self.tmp.name, "state")
        if self.has("env"):
            for ln in read_lines(self.spec("env")):
                if ln.startswith("-"):
                    env.pop(ln[1:], None)
                else:
                    k, _, v = ln.partition("=")
                    env[k] = self.fill(v)
        for ln in read_lines(self.spec("cmd")):
            argv = [self.fill(w) for w in shlex.split(ln)]
            if argv[0] == "@sql":
                # A change to the ledger between runs, e.g. to make a run a day old.
                db = sqlite3.connect(os.path.join(self.work, argv[1]))
                try:
                    with db:
                        db.execute(argv[2])
                finally:
                    db.close()
                continue
            p = subprocess.run([os.path.abspath(BIN), *argv], cwd=self.work, env=env, capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL)
            self.runs.append((argv, p))
        # Answers the client gave up on (timeouts) are logged only when the
        # simulator sends them: wait for those, so the log is complete.
        self.sim.quiesce()
        self.log = self.sim.requests(None)
        self.sim.stop()

    def close(self):
        if self.sim:
            self.sim.stop()
        self.tmp.cleanup()

    def remember(self, rel):
        with open(os.path.join(self.work, rel), "rb") as f:
            self.copied[rel] = f.read()

    def new_files(self):
        """Files the commands created or changed, each with its mode."""
        out = []
        for root, _, files in os.walk(self.work):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), self.work)
                with open(os.path.join(self.work, rel), "rb") as fh:
                    now = fh.read()
                if self.copied.get(rel) != now:
                    mode = os.stat(os.path.join(self.work, rel)).st_mode & 0o777
                    out.append(f"{rel} {mode:04o}")
        return sorted(out)

    def transcript(self):
        parts = []
        for argv, p in self.runs:
            parts.append(f"$ cloutly-pipe {shlex.join(argv)}  -> exit {p.returncode}\n"
                         f"--- stdout\n{p.stdout}--- stderr\n{p.stderr}")
        return "\n".join(parts)


def _played(folder):
    case = Case(folder)
    try:
        case.play()
    except BaseException:
        case.close()
        raise
    return case


class Cases(unittest.TestCase):
    """One test method per case folder (added below). Cases do not share
    anything (each has its own folder and simulator), so the selected ones are
    played a few at a time in threads (CLOUTLY_CASE_JOBS, default 3) and each
    test method checks its own; what a case asserts never depends on speed."""
    maxDiff = None
    selected = []   # case folders chosen by the loader (load_tests below)
    futures = {}

    @classmethod
    def setUpClass(cls):
        jobs = max(1, int(os.environ.get("CLOUTLY_CASE_JOBS", "3")))
        cls.pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
        cls.futures = {f: cls.pool.submit(_played, f) for f in cls.selected}

    @classmethod
    def tearDownClass(cls):
        cls.pool.shutdown(wait=True)
        for fut in cls.futures.values():
            if fut.done() and not fut.exception():
                fut.result().close()
        cls.futures = {}

    def play(self, folder):
        fut = self.futures.pop(folder, None)
        case = fut.result() if fut else _played(folder)
        try:
            self.check(case)
        finally:
            case.close()

    def write(self, case, name, text):
        path = case.spec(name)
        if text is None:
            if os.path.exists(path):
                os.unlink(path)
            return
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    def expect(self, case, name, actual, expected_text):
        """Compare one exact expectation, or (CLOUTLY_UPDATE_GOLDEN=1) write it."""
        with self.subTest(case=case.name, expect=name):
            if UPDATE:
                self.write(case, name, actual)
                return
            if actual is None:
                self.assertFalse(case.has(name), f"{case.name}: expected {name}, the run wrote none")
                return
            self.assertTrue(case.has(name), f"{case.name}: the run wrote {name} and the case "
                            f"has no expected {name} (CLOUTLY_UPDATE_GOLDEN=1 writes it)\n"
                            f"{actual}")
            self.assertEqual(actual, expected_text(), f"{case.name}: {name} differs\n"
                             + case.transcript())

    def check(self, case):
        name = case.name
        runs = case.runs
        self.assertTrue(runs, f"{name}: cmd runs no cloutly-pipe command")

        # The key never leaks, whatever the case is about.
        with self.subTest(case=name, expect="no API key anywhere"):
            for _, p in runs:
                self.assertNotIn(API_KEY, p.stdout + p.stderr)
            for rel in case.new_files():
                with open(os.path.join(case.work, rel.rsplit(" ", 1)[0]), "rb") as f:
                    self.assertNotIn(API_KEY.encode(), f.read(), rel)

        # SPEC 5, no hidden resends: no POST ever rides a reused connection.
        with self.subTest(case=name, expect="a fresh connection per POST"):
            reused = [r for r in case.log if r["method"] == "POST" and r["conn_request"] != 1]
            self.assertEqual(reused, [])

        codes = "".join(f"{p.returncode}\n" for _, p in runs)
        self.expect(case, "exit", codes, lambda: "".join(f"{c}\n" for c in read_lines(case.spec("exit"))))

        results = os.path.join(case.work, "results.csv")
        actual = None
        if os.path.exists(results):
            with open(results, encoding="utf-8", newline="") as f:
                raw = f.read()
            ids = [r["contact_id"] for r in csv.DictReader(io.StringIO(raw, newline=""))
                   if r.get("contact_id")]
            with self.subTest(case=name, expect="distinct contact ids"):
                self.assertEqual(len(ids), len(set(ids)), ids)
            extra = read_lines(case.spec("mask")) if case.has("mask") else []
            actual = render_csv(mask_results(raw, extra), line_end(raw))
        self.expect(case, "results.csv", actual, lambda: self.read_spec(case, "results.csv"))

        rejects = os.path.join(case.work, "rejects.csv")
        actual = None
        if os.path.exists(rejects):
            with open(rejects, encoding="utf-8", newline="") as f:
                actual = f.read()
        self.expect(case, "rejects.csv", actual, lambda: self.read_spec(case, "rejects.csv"))

        lines = sorted(request_line(r) for r in case.log)
        self.expect(case, "requests.txt", "".join(ln + "\n" for ln in lines),
                    lambda: "".join(ln + "\n" for ln in read_lines(case.spec("requests.txt"))))

        self.expect(case, "files.txt", "".join(ln + "\n" for ln in case.new_files()),
                    lambda: "".join(ln + "\n" for ln in read_lines(case.spec("files.txt"))))

        for i, (argv, p) in enumerate(runs, 1):
            last = i == len(runs)
            for stream, text in (("stdout", p.stdout), ("stderr", p.stderr)):
                names = [f"{stream}.{i}"] + ([stream] if last else [])
                if UPDATE:
                    self.write(case, names[-1] + ".actual", text.replace(case.work, "@WORK@"))
                for fname in names:
                    if not case.has(fname):
                        continue
                    with self.subTest(case=name, expect=fname):
                        patterns = [case.fill(ln) for ln in read_lines(case.spec(fname))]
                        why = match_patterns(patterns, text)
                        self.assertIsNone(why, f"{name}: {fname} of `cloutly-pipe "
                                          f"{shlex.join(argv)}`: {why}\n--- {stream}\n{text}")

    def read_spec(self, case, name):
        with open(case.spec(name), encoding="utf-8", newline="") as f:
            return f.read()

    def test_the_pattern_rules_can_fail(self):
        out = "cloutly-pipe: error: HTTP 401 (check CLOUTLY_API_KEY)\nsent 0, skipped 6\n"
        self.assertIsNone(match_patterns(["401", "CLOUTLY_API_KEY", "re:^sent 0,", "!wrong-key"], out))
        self.assertIn("'401'", match_patterns(["skipped 6", "401"], out) or "")  # in order
        self.assertIsNotNone(match_patterns(["sent 1,"], out))
        self.assertIsNotNone(match_patterns(["!HTTP 401"], out))
        self.assertIsNotNone(match_patterns(["re:^HTTP"], out))

    def test_masking_keeps_what_has_the_wrong_shape(self):
        text = ("input_row,reason,contact_id,sms_limits_left,processed_at\r\n"
                "2,already sent at 2026-12-01 10:18 UTC,7aa6c304-bb25-4843-817d-989f63a540e8,"
                "999,2026-12-01T10:15:42.305Z\r\n"
                "3,,not-a-uuid,,yesterday\r\n")
        rows = mask_results(text, ["sms_limits_left", "reason ~ [0-9]+ ms"])
        self.assertEqual(rows[1], ["2", "already sent at <when>", "<uuid>", "<set>", "<time>"])
        self.assertEqual(rows[2], ["3", "", "not-a-uuid", "", "yesterday"])
        self.assertEqual(render_csv(rows, line_end(text)).count("\r\n"), 3)

    def test_every_case_folder_is_well_formed(self):
        for entry in sorted(os.listdir(CASES)):
            path = os.path.join(CASES, entry)
            if not os.path.isdir(path):
                continue
            with self.subTest(case=entry):
                self.assertRegex(entry, CASE_NAME, "a case folder is NNN-short-name")
                self.assertTrue(os.path.exists(os.path.join(path, "cmd")), f"{entry}: no cmd file")


def _case_test(folder):
    def test(self):
        self.play(folder)
    test.__doc__ = f"case {os.path.relpath(folder, SRC)}"
    test.case_folder = folder
    return test


def load_tests(loader, tests, pattern):
    """Note which cases the loader chose (after -k), so that setUpClass can
    start playing them before the first test method asks for its own."""
    def walk(suite):
        for t in suite:
            if isinstance(t, unittest.TestSuite):
                yield from walk(t)
            else:
                yield t
    Cases.selected = [getattr(t, t._testMethodName).case_folder for t in walk(tests)
                      if isinstance(t, Cases) and hasattr(getattr(t, t._testMethodName), "case_folder")]
    return tests


for _entry in sorted(os.listdir(CASES)):
    _folder = os.path.join(CASES, _entry)
    if os.path.isdir(_folder) and CASE_NAME.match(_entry):
        setattr(Cases, "test_" + _entry.replace("-", "_"), _case_test(_folder))


if __name__ == "__main__":
    unittest.main()
