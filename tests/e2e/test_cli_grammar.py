"""End to end: one grammar for every command's options, and output that is
checked where it is written. Each test is one of the inconsistencies a new
contributor found: a typo gets a did-you-mean (commands and options alike),
every command takes the shared -q/-v/--log-format, stdout into a full disk
is an error with a message for every command, and `ledger --format csv`
guards formulas in customer names and ends lines in CRLF like every other
CSV the tool writes."""
import os
import subprocess
import unittest

from harness import API_KEY, BIN, E2E, contacts, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


def cli(*args, stdout=subprocess.PIPE, env=None):
    e = dict(os.environ, CLOUTLY_API_KEY=API_KEY)
    if env:
        e.update(env)
    return subprocess.run([BIN, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          env=e, timeout=60)


class Typos(unittest.TestCase):
    def test_unknown_command_names_the_nearest(self):
        p = cli("chek", "x.yaml")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command 'chek' (did you mean 'check'?)", p.stderr)

    def test_unknown_option_names_the_nearest_for_each_command(self):
        for cmd, typo, want in [("run", "--dryrun", "--dry-run"), ("check", "--inptu", "--input"),
                                ("ledger", "--contcat", "--contact"),
                                ("run", "--no-progres", "--no-progress"),
                                ("businesses", "--formt", "--format"),
                                ("guess", "--verbos", "--verbose"),
                                ("export", "--sinse", "--since"),
                                ("export", "--no-progess", "--no-progress")]:
            with self.subTest(cmd=cmd, typo=typo):
                p = cli(cmd, "x.yaml", typo)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(f"unknown option '{typo}' (did you mean '{want}'?)", p.stderr)

    def test_help_command_and_version(self):
        p = cli("help", "run")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--dry-run", p.stdout)
        p = cli("-V")
        self.assertEqual(p.returncode, 0)
        for lib in ("libcurl", "SQLite", "libphonenumber"):
            self.assertIn(lib, p.stdout)

    def test_check_help_lists_checks_exit_codes_not_runs(self):
        p = cli("check", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("authentication refused", p.stdout)
        self.assertIn("--input", p.stdout)


class Output(E2E):
    sim_args = ()

    def test_stdout_into_a_full_disk_is_an_error_for_every_command(self):
        write_csv(self.input, HEADER, contacts(3))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 0)  # a ledger to list
        cases = [("check", self.pipeline), ("ledger", self.pipeline),
                 ("ledger", "--format", "csv", self.pipeline),
                 ("ledger", "--format", "ndjson", self.pipeline), ("ledger", "--runs", self.pipeline),
                 ("guess", self.input), ("export",), ("export", "--format", "csv"),
                 ("export", "--output", "-"), ("businesses",), ("businesses", "--format", "csv"),
                 ("businesses", "--format", "ndjson"), ("doctor", self.pipeline),
                 ("help",), ("--help",), ("--version",), ("-V",), ("help", "export")]
        # Every command's --help (report writes its page to a file: only its help is stdout).
        cases += [(cmd, "--help") for cmd in ("run", "check", "ledger", "report", "export",
                                              "businesses", "guess", "doctor")]
        for args in cases:
            with self.subTest(args=args):
                p = self.into_full_disk(*args)
                self.assertNotEqual(p.returncode, 0, f"{args}: {p.stderr}")
                self.assertIn("cannot write to standard output: No space left on device", p.stderr)

    def into_full_disk(self, *args, env=None):
        with open("/dev/full", "w") as full:
            e = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url,
                     **(env or {}))
            return subprocess.run([BIN, *args], stdout=full, stderr=subprocess.PIPE, text=True,
                                  env=e, timeout=60, cwd=self.dir)

    def test_an_export_into_a_full_disk_does_not_move_the_watermark(self):
        path = os.path.join(self.dir, "export.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nkind: export\nname: archive\napi:\n  api_key: ${CLOUTLY_API_KEY}\n"
                    "export:\n  output: \"-\"\n  since: last_run\nstate:\n  path: archive.sqlite\n")
        p = self.into_full_disk("export", path)
        self.assertRun(p, 2)
        self.assertIn("nothing written: cannot write 'standard output': No space left on device",
                      p.stderr)
        # The next export still starts from the beginning: every review again.
        p = self.run_cli("export", path)
        self.assertRun(p, 0)
        self.assertIn("no earlier complete export", p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 30)

    def test_every_command_takes_the_shared_options(self):
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        p = self.run_cli("ledger", "-q", "--log-format", "json", self.pipeline)
        self.assertRun(p, 0)
        p = self.run_cli("check", "-v", "--log-format", "JSON", self.pipeline)
        self.assertRun(p, 0)
        p = self.run_cli("businesses", "--format", "CSV", "--log-format", "json", "-q")
        self.assertRun(p, 0)
        self.assertTrue(p.stdout.startswith("id,"), p.stdout)
        p = self.run_cli("guess", "-q", "--log-format", "json", self.input)
        self.assertRun(p, 0)
        self.assertIn("version: 1", p.stdout)

    def test_export_reads_its_options_from_the_shared_table(self):
        out = os.path.join(self.dir, "r.ndjson")
        # The common options, in both spellings, and -o for --output.
        p = self.run_cli("export", "-q", "--no-progress", "-o", out)
        self.assertRun(p, 0)
        self.assertEqual(p.stderr, "", "-q: nothing on stderr when all is well")
        with open(out) as f:
            self.assertTrue(f.readline().startswith("{"))
        p = self.run_cli("export", "--log-format=json", "-o", out)
        self.assertRun(p, 0)
        self.assertIn('"event":"run_end"', p.stderr)
        p = self.run_cli("export", "-v", "--log-format", "JSON", "--output", out)
        self.assertRun(p, 0)
        self.assertIn('"event":"http"', p.stderr.replace(" ", ""))
        self.assertIn('"/reviews', p.stderr)
        # --help comes from the same table the parser reads.
        p = self.run_cli("export", "--help")
        self.assertRun(p, 0)
        self.assertTrue(p.stdout.startswith("usage: cloutly-pipe export [PIPELINE.yaml]"), p.stdout)
        for opt in ("--format ndjson|csv", "-o, --output PATH", "--since DATE|last_run",
                    "--mirror PATH.sqlite", "--from-mirror", "-q, --quiet", "--log-format text|json",
                    "--no-progress", "-h, --help", "Exit codes:"):
            self.assertIn(opt, p.stdout)
        # Values still go through the pipeline's own setters.
        p = self.run_cli("export", "--sort", "sideways", "--output", out)
        self.assertRun(p, 2)
        self.assertIn("--sort", p.stderr)
        p = self.run_cli("export", "--output")
        self.assertRun(p, 2)
        self.assertIn("export: option '--output' needs a value (PATH)", p.stderr)
        p = self.run_cli("export", "a.yaml", "b.yaml")
        self.assertRun(p, 2)
        self.assertIn("export: unexpected argument 'b.yaml'", p.stderr)
        p = self.run_cli("export", "--full", "--output", out)
        self.assertRun(p, 2)
        self.assertIn("--full applies to a mirror", p.stderr)

    def test_ledger_csv_guards_formulas_and_ends_lines_in_crlf(self):
        rows = [("C1", "=HYPERLINK(\"http://x\")", "Smith", "a@example.com", "0412000001"),
                ("C2", "+SUM(A1)", "-Jones", "b@example.com", "0412000002")]
        write_csv(self.input, HEADER, rows)
        self.write_pipeline()
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 0)
        # The results file holds the same names: guarded there too.
        from harness import read_csv
        res = read_csv(self.results)
        self.assertEqual([r["first_name"] for r in res], ["'=HYPERLINK(\"http://x\")", "'+SUM(A1)"])
        self.assertEqual(res[1]["last_name"], "'-Jones")
        self.assertEqual(res[0]["phone_number"], "+61412000001")
        p = self.run_cli("ledger", "--format", "CSV", self.pipeline)
        self.assertRun(p, 0)
        raw = subprocess.run([BIN, "ledger", "--format", "csv", self.pipeline],
                             capture_output=True, env=dict(os.environ, CLOUTLY_API_KEY=API_KEY),
                             timeout=60).stdout
        lines = raw.split(b"\r\n")
        self.assertEqual(lines[-1], b"", "the listing must end in CRLF")
        self.assertEqual(len(lines), 4, raw)
        self.assertNotIn(b"\n", b"".join(l for l in lines), "no bare LF line ends")
        self.assertIn(b"\"'=HYPERLINK(\"\"http://x\"\")\"", raw)
        self.assertIn(b"'+SUM(A1)", raw)
        # The phone is E.164 and keeps its '+'.
        self.assertIn(b",+61412000001,", raw)


class OneGrammar(E2E):
    """A flag that overrides a pipeline key is read by the key's own setter."""
    sim_args = ()

    def test_export_flags_read_like_their_keys(self):
        out = os.path.join(self.dir, "r.csv")
        p = self.run_cli("export", "--format", "CSV", "--sort", "ASC", "--output", out)
        self.assertRun(p, 0)
        with open(out, encoding="utf-8-sig") as f:
            self.assertTrue(f.readline().startswith("id,"), "a CSV header")
        # --since takes what since: takes, and refuses what it refuses.
        p = self.run_cli("export", "--since", "2026-01-31T10:00:00+1000", "--output", out)
        self.assertRun(p, 0)
        p = self.run_cli("export", "--since", "2026-02-31", "--output", out)
        self.assertRun(p, 2)
        self.assertIn("--since", p.stderr)
        p = self.run_cli("export", "--format", "xml", "--output", out)
        self.assertRun(p, 2)
        self.assertIn("expected ndjson or csv", p.stderr)


if __name__ == "__main__":
    unittest.main()
