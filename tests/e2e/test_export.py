"""End to end: review export (issue 4, SPEC sections 2-5) against the simulator.

The simulator's GET /_sim/reviews gives every review as the exact bytes that
GET /reviews serves, so an export is checked against the server's own list:
each review once, byte for byte (NDJSON) or cell for cell (CSV)."""
import csv
import glob
import io
import json
import os
import signal
import subprocess
import time
import unittest
import urllib.request

from harness import API_KEY, BIN, E2E

N = 2500  # "a few thousand generated reviews"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BUSINESS = "44271176-7053-4534-ad6f-b38d132d341e"


def export_yaml(output, *, fmt="ndjson", since=None, extra_export="", rate="1000/s",
                retries=5, timeout="5s", page_size=100, name="archive"):
    return (
        "version: 1\n"
        "kind: export\n"
        f"name: {name}\n"
        "api:\n"
        "  api_key: ${CLOUTLY_API_KEY}\n"
        f"  rate_limit: {rate}\n"
        f"  timeout: {timeout}\n"
        f"  retries: {retries}\n"
        "export:\n"
        f"  format: {fmt}\n"
        f"  output: {output}\n"
        f"  page_size: {page_size}\n"
        + (f"  since: {since}\n" if since else "")
        + extra_export +
        "state:\n"
        "  path: state/archive.sqlite\n")


class Export(E2E):
    sim_args = None  # each test starts the simulator it needs

    def start(self, *args, n=N):
        self.start_sim("--reviews", str(n), "--seed", "4", *args)

    def server_lines(self):
        """Every review on the server, ascending, as the bytes GET /reviews serves."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.sim.port}/_sim/reviews") as r:
            return r.read().decode("utf-8").splitlines()

    def pipeline_file(self, **kw):
        self.out = kw.pop("output", os.path.join(self.dir, "reviews.out"))
        with open(self.pipeline, "w") as f:
            f.write(export_yaml(self.out, **kw))
        return self.pipeline

    def export(self, *args, expect=0, **kw):
        p = self.run_cli(*args, **kw)
        self.assertRun(p, expect)
        for path in glob.glob(os.path.join(self.dir, "**", "*"), recursive=True):
            if os.path.isfile(path) and not path.endswith((".sqlite", "sim-requests.ndjson")):
                with open(path, encoding="utf-8", errors="replace") as f:
                    self.assertNotIn(API_KEY, f.read(), path)
        return p

    def out_lines(self, path=None):
        with open(path or self.out, encoding="utf-8", newline="") as f:
            text = f.read()
        self.assertTrue(text == "" or text.endswith("\n"))
        return text.splitlines()

    def review_gets(self):
        return self.sim.requests("/api/v1/reviews")

    def assertExact(self, lines, expected_lines, ordered=None):
        """Each review once, byte for byte, and equal as JSON."""
        ids = [json.loads(l)["id"] for l in lines]
        self.assertEqual(len(ids), len(set(ids)), "a review was written twice")
        self.assertEqual(sorted(lines), sorted(expected_lines))
        by_id = {json.loads(l)["id"]: json.loads(l) for l in expected_lines}
        for l in lines:
            obj = json.loads(l)
            self.assertEqual(obj, by_id[obj["id"]])
        if ordered is not None:
            self.assertEqual(lines, ordered)


class Ndjson(Export):
    def test_every_review_once_byte_for_byte_newest_first(self):
        self.start()
        server = self.server_lines()
        self.assertEqual(len(server), N)
        self.export("run", self.pipeline_file())
        lines = self.out_lines()
        self.assertExact(lines, server, ordered=server[::-1])
        # The fields the client does not know and the numbers it must not touch.
        self.assertTrue(any('"x_metrics":{"score":0.850,"big":12345678901234567890' in l
                            for l in lines))
        self.assertTrue(any("\\u00" in l for l in lines))  # \\u escapes kept as sent
        self.assertEqual(os.stat(self.out).st_mode & 0o777, 0o600)

    def test_ascending_sort_keeps_the_server_order(self):
        self.start()
        self.export("export", self.pipeline_file(), "--sort", "asc")
        self.assertExact(self.out_lines(), self.server_lines(), ordered=self.server_lines())
        self.assertTrue(all(r["query"]["sort"] == "asc" for r in self.review_gets()))

    def test_pretty_printed_pages_still_give_one_review_per_line(self):
        self.start("--pretty", n=300)
        self.export("run", self.pipeline_file())
        lines = self.out_lines()
        self.assertEqual(len(lines), 300)
        server = {json.loads(l)["id"]: json.loads(l) for l in self.server_lines()}
        self.assertEqual({json.loads(l)["id"]: json.loads(l) for l in lines}, server)

    def test_ad_hoc_export_to_standard_output_with_filters(self):
        self.start(n=600)
        p = self.export("export", "--source", "google", "--show-on-widget", "true",
                        "--business-id", BUSINESS)
        got = p.stdout.splitlines()
        want = [l for l in self.server_lines()[::-1]
                if (r := json.loads(l))["source"] == "google" and r["showOnWidget"] is True
                and r["businessId"] == BUSINESS]
        self.assertGreater(len(want), 10)
        self.assertEqual(got, want)
        q = self.review_gets()[0]["query"]
        self.assertEqual((q["source"], q["showOnWidget"], q["businessId"]),
                         ("google", "true", BUSINESS))

    def test_an_invite_pipeline_or_last_run_without_a_pipeline_is_a_usage_error(self):
        self.start(n=10)
        p = self.export("export", "--since", "last_run", expect=2)
        self.assertIn("needs a pipeline", p.stderr)
        p = self.export("run", self.pipeline_file(), "--dry-run", expect=2)
        self.assertIn("--dry-run", p.stderr)
        self.assertEqual(self.review_gets(), [])


class OffsetSemantics(Export):
    def check_mode(self, mode, words, *extra):
        self.start("--offset-mode", mode, *extra)
        p = self.export("run", self.pipeline_file())
        self.assertIn(words, p.stderr)
        return p

    def test_page_numbers_detected_and_exact(self):
        self.check_mode("page", "reads it as a page number")
        self.assertExact(self.out_lines(), self.server_lines(), ordered=self.server_lines()[::-1])
        offsets = [int(r["query"]["offset"]) for r in self.review_gets()]
        self.assertEqual(offsets, list(range(N // 100)))

    def test_record_offsets_detected_and_exact(self):
        self.check_mode("record", "reads it as a record offset")
        self.assertExact(self.out_lines(), self.server_lines(), ordered=self.server_lines()[::-1])
        offsets = [int(r["query"]["offset"]) for r in self.review_gets()]
        self.assertEqual(offsets[:3], [0, 1, 101])

    def test_a_server_that_ignores_offset_is_an_error_not_a_loop(self):
        self.start("--offset-mode", "ignore")
        p = self.export("run", self.pipeline_file(), expect=4)
        self.assertIn("ignore 'offset'", p.stderr)
        self.assertLess(len(self.review_gets()), 10)
        self.assertFalse(os.path.exists(self.out))


class Inserts(Export):
    """New reviews arrive at the newest end while the export pages through."""

    def check(self, mode, sort):
        self.start("--offset-mode", mode, "--insert-every", "2:3")
        p = self.export("export", self.pipeline_file(), "--sort", sort)
        server = self.server_lines()
        inserted = {i for r in self.review_gets() for i in r.get("inserted", [])}
        self.assertGreater(len(inserted), 20)
        self.assertEqual(len(server), N + len(inserted))
        lines = self.out_lines()
        ids = [json.loads(l)["id"] for l in lines]
        self.assertEqual(len(ids), len(set(ids)), "duplicated")
        originals = [l for l in server if json.loads(l)["id"] not in inserted]
        self.assertEqual(len(originals), N)
        self.assertTrue(set(originals) <= set(lines), "skipped")
        self.assertTrue(set(lines) <= set(server))
        self.assertIn("total changed during the export", p.stderr)

    def test_desc_page_numbers(self):
        self.check("page", "desc")

    def test_desc_record_offsets(self):
        self.check("record", "desc")

    def test_asc_page_numbers(self):
        self.check("page", "asc")

    def test_asc_record_offsets(self):
        self.check("record", "asc")

    def test_a_total_that_keeps_growing_is_an_error_not_a_loop(self):
        self.start("--insert-every", "1:150", "--insert-max", "100000", n=300)
        p = self.export("export", self.pipeline_file(), "--sort", "asc", expect=4)
        self.assertIn("keeps sending pages", p.stderr)
        self.assertFalse(os.path.exists(self.out))


class Csv(Export):
    def rows(self, path=None, bom=False):
        with open(path or self.out, "rb") as f:
            data = f.read()
        self.assertEqual(data.startswith(b"\xef\xbb\xbf"), bom)
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))

    @staticmethod
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    def test_default_columns_parse_back_and_formulas_are_neutralised(self):
        self.start()
        self.export("run", self.pipeline_file(fmt="csv"))
        rows = self.rows()
        header, body = rows[0], rows[1:]
        self.assertEqual(len(body), N)
        self.assertEqual(header[:3], ["id", "createdAt", "updatedAt"])
        self.assertEqual(header[-3:], ["response.name", "response.date", "response.comment"])
        server = {json.loads(l)["id"]: json.loads(l) for l in self.server_lines()}
        self.assertEqual({r[0] for r in body}, set(server))
        guarded = 0
        for row in body:
            self.assertEqual(len(row), len(header))
            rev = server[row[0]]
            for name, cell in zip(header, row):
                if name.startswith("response."):
                    v = (rev["response"] or {}).get(name.split(".")[1])
                else:
                    v = rev.get(name)
                want = self.cell(v)
                if isinstance(v, str) and want.startswith(FORMULA_START):
                    want = "'" + want
                    guarded += 1
                self.assertEqual(cell, want, f"{name} of {row[0]}")
                self.assertFalse(cell.startswith(FORMULA_START), cell)
        self.assertGreater(guarded, 100)
        texts = [r[header.index("text")] for r in body]
        self.assertIn("'=HYPERLINK(\"http://example.com\",\"click me\")", texts)
        self.assertTrue(any("\n" in t for t in texts))

    def test_fields_guard_off_and_excel_bom(self):
        self.start(n=400)
        extra = ("  fields: [id, text, rating, response.comment, x_metrics.score, x_metrics]\n"
                 "  csv_formula_guard: false\n"
                 "  excel: true\n")
        self.export("run", self.pipeline_file(fmt="csv", extra_export=extra))
        rows = self.rows(bom=True)
        self.assertEqual(rows[0], ["id", "text", "rating", "response.comment", "x_metrics.score",
                                   "x_metrics"])
        self.assertEqual(len(rows), 401)
        server = {json.loads(l)["id"]: json.loads(l) for l in self.server_lines()}
        texts = [r[1] for r in rows[1:]]
        self.assertIn("=1+1", texts)  # the guard is off: as written
        with_metrics = [r for r in rows[1:] if r[4]]
        self.assertTrue(with_metrics)
        for r in with_metrics:
            self.assertEqual(r[4], "0.850")  # the number as the API wrote it
            self.assertEqual(json.loads(r[5]), server[r[0]]["x_metrics"])
        for r in rows[1:]:
            self.assertEqual(r[1], self.cell(server[r[0]]["text"]))


class Since(Export):
    def test_last_run_second_export_writes_only_newer_reviews(self):
        out = os.path.join(self.dir, "archive", "reviews-{run_id}.ndjson")
        self.start(n=1000)
        first = self.server_lines()
        self.pipeline_file(output=out, since="last_run")
        p = self.export("run", self.pipeline)
        self.assertIn("no earlier complete export", p.stderr)
        files = glob.glob(os.path.join(self.dir, "archive", "*.ndjson"))
        self.assertEqual(len(files), 1)
        self.assertExact(self.out_lines(files[0]), first)

        self.start(n=1040)  # the same 1000 and 40 newer
        second = self.server_lines()
        self.assertEqual(second[:1000], first)
        p = self.export("run", self.pipeline)
        self.assertIn("reviews created after", p.stderr)
        new = sorted(set(glob.glob(os.path.join(self.dir, "archive", "*.ndjson"))) - set(files))
        self.assertEqual(len(new), 1)
        self.assertExact(self.out_lines(new[0]), second[1000:], ordered=second[1000:][::-1])
        # Newest first: the walk stopped at the first older review, not at the end.
        self.assertEqual(len(self.review_gets()), 1)

    def test_since_a_date_writes_reviews_created_on_or_after_it(self):
        self.start(n=800)
        server = self.server_lines()
        cut = json.loads(server[500])["createdAt"]
        want = [l for l in server if json.loads(l)["createdAt"] >= cut]
        self.assertEqual(len(want), 300)
        for sort in ("desc", "asc"):
            p = self.export("export", self.pipeline_file(), "--since", cut, "--sort", sort)
            self.assertExact(self.out_lines(), want)
            self.assertIn("500 older than since skipped" if sort == "asc" else "reviews written",
                          p.stderr)


class Interrupted(Export):
    """A killed export leaves no output file and does not move the watermark."""

    def kill_midway(self, sig):
        self.pipeline_file(since="last_run")
        self.start(n=500)
        self.export("run", self.pipeline)  # the watermark: the 500th review
        os.unlink(self.out)
        self.start("--latency-ms", "40", n=3000)
        env = dict(os.environ, CLOUTLY_API_KEY=API_KEY, CLOUTLY_BASE_URL=self.sim.base_url)
        proc = subprocess.Popen([BIN, "run", self.pipeline], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while len(self.review_gets()) < 5 and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        self.assertNotIn(API_KEY, out + err)
        self.assertFalse(os.path.exists(self.out))
        return proc.returncode, err

    def check_watermark_unmoved(self):
        self.start(n=3000)
        self.export("run", self.pipeline)
        self.assertExact(self.out_lines(), self.server_lines()[500:])

    def test_sigterm(self):
        code, err = self.kill_midway(signal.SIGTERM)
        self.assertEqual(code, 5, err)
        self.assertIn("interrupted", err)
        self.assertEqual(os.listdir(os.path.dirname(self.out)).count("reviews.out"), 0)
        self.assertFalse([f for f in os.listdir(self.dir) if ".tmp-" in f])
        self.check_watermark_unmoved()

    def test_sigkill(self):
        code, _ = self.kill_midway(signal.SIGKILL)
        self.assertEqual(code, -signal.SIGKILL)
        self.check_watermark_unmoved()


class Faults(Export):
    def test_429_storm_and_5xx_resets_bad_bodies_during_paging_complete_exactly(self):
        self.start("--get-storm-429", "3:8", "--retry-after", "0",
                   "--get-fault", "14=500", "--get-fault", "15=502", "--get-fault", "17=503",
                   "--get-fault", "19=504", "--get-fault", "21=reset", "--get-fault", "23=truncated",
                   "--get-fault", "25=malformed", "--get-fault", "27=timeout", "--slow-ms", "3000")
        self.export("run", self.pipeline_file(timeout="1s"))
        self.assertExact(self.out_lines(), self.server_lines(), ordered=self.server_lines()[::-1])
        # The slow answer is logged when the simulator finally sends it.
        deadline = time.time() + 10
        while "timeout" not in [r["fault"] for r in self.review_gets()] and time.time() < deadline:
            time.sleep(0.1)
        faults = [r["fault"] for r in self.review_gets() if r["fault"]]
        self.assertEqual(faults.count("429"), 8)
        self.assertEqual(set(faults), {"429", "500", "502", "503", "504", "reset", "truncated",
                                       "malformed", "timeout"})

    def test_retries_exhausted_exit_4_and_no_file(self):
        self.start(*[a for n in range(3, 9) for a in ("--get-fault", f"{n}=503")])
        p = self.export("run", self.pipeline_file(retries=2), expect=4)
        self.assertIn("failed 3 times in a row", p.stderr)
        self.assertIn("nothing written", p.stderr)
        self.assertFalse(os.path.exists(self.out))
        self.assertFalse([f for f in os.listdir(self.dir) if ".tmp-" in f])

    def test_an_oversized_page_is_an_error_not_an_allocation(self):
        self.start("--get-fault", "2=oversized", n=300)
        p = self.export("run", self.pipeline_file(), expect=4)
        self.assertIn("larger than 8 MiB", p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_a_full_disk_is_an_error_and_a_device_is_never_replaced(self):
        # Through links in the test's own folder: a client that wrongly renamed
        # over its output would replace the link, never the device itself.
        full, out = os.path.join(self.dir, "full"), os.path.join(self.dir, "stdout")
        os.symlink("/dev/full", full)
        os.symlink("/dev/stdout", out)
        self.start(n=300)
        p = self.export("export", self.pipeline_file(), "--output", full, expect=2)
        self.assertIn(f"cannot write '{full}'", p.stderr)
        self.assertTrue(os.path.islink(full))
        p = self.export("export", self.pipeline_file(), "--output", out)
        self.assertEqual(len(p.stdout.splitlines()), 300)
        self.assertTrue(os.path.islink(out))

    def test_401_exit_3_at_the_first_request_and_no_file(self):
        self.start(n=300)
        p = self.export("run", self.pipeline_file(), expect=3,
                        env={"CLOUTLY_API_KEY": "wrong-key"})
        self.assertIn("401", p.stderr)
        self.assertIn("CLOUTLY_API_KEY", p.stderr)
        self.assertNotIn("wrong-key", p.stderr)
        self.assertEqual(len(self.review_gets()), 1)
        self.assertFalse(os.path.exists(self.out))


class Businesses(Export):
    def test_csv_ndjson_and_table(self):
        self.start("--business", f"{BUSINESS}:Café, \"Main\":google,facebook",
                   "--business", "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4:=Bondi:google", n=0)
        p = self.export("businesses")  # not a terminal: CSV
        rows = list(csv.reader(p.stdout.splitlines()))
        self.assertEqual(rows, [["id", "name", "sources"],
                                [BUSINESS, 'Café, "Main"', "google,facebook"],
                                ["5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4", "'=Bondi", "google"]])
        p = self.export("businesses", "--format", "ndjson")
        self.assertEqual([json.loads(l) for l in p.stdout.splitlines()],
                         [{"id": BUSINESS, "name": 'Café, "Main"', "sources": ["google", "facebook"]},
                          {"id": "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4", "name": "=Bondi",
                           "sources": ["google"]}])
        p = self.export("businesses", "--format", "table")
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "NAME", "SOURCES"])
        self.assertTrue(lines[1].startswith(BUSINESS + "  Café, \"Main\"  "))
        self.assertEqual(lines[1].index("google"), lines[2].index("google"))

    def test_key_refused_exit_3(self):
        self.start(n=0)
        p = self.export("businesses", expect=3, env={"CLOUTLY_API_KEY": "nope"})
        self.assertIn("401", p.stderr)


if __name__ == "__main__":
    unittest.main()
