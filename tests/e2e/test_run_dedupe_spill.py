"""End to end: run dedupes in flat memory (issue 13, item 3).

`run` validates the whole file first and finds duplicates through a spill
on disk (src/intake/dedupe_pass.c); CLOUTLY_DEDUPE_SPILL=0 dedupes in
memory as rows come instead. The two must give the same row-by-row
results, the simulator must get each person once, and a file broken near
its end must still send nothing."""
import os
import unittest

from harness import E2E, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


def rows_with_duplicates(n):
    """n rows: distinct people, with duplicates of every kind among them."""
    rows = []
    for i in range(n):
        rows.append([f"C{i}", f"First{i}", f"Last{i}", f"p{i}@example.com",
                     f"04{12000000 + i:08d}"])
    # The same email far apart, in another case and with stray spaces.
    rows[n - 2][3] = "  P1@Example.COM "
    # The same phone far apart under another email, written another way.
    rows[n - 3][4] = "+61 412 000 002"
    # A chain: A+P1, B+P1, B+P3 is one person however it is read.
    rows[10][3], rows[10][4] = "chain-a@example.com", "0412999001"
    rows[n // 2][3], rows[n // 2][4] = "chain-b@example.com", "0412999001"
    rows[n - 5][3], rows[n - 5][4] = "chain-b@example.com", "0412999003"
    # A placeholder contact on many rows (POS exports fill gaps so).
    for i in range(100, n, 37):
        rows[i][3], rows[i][4] = "noemail@shop.example", "0400000000"
    # Invalid rows between them: never duplicates of anything.
    for i in range(50, n, 101):
        rows[i][3], rows[i][4] = "not-an-email", "12"
    # Email only and phone only rows that repeat.
    for i in range(60, n, 211):
        rows[i][3], rows[i][4] = f"p{i - 60}@example.com", ""
    return rows


class RunDedupeSpill(E2E):
    sim_args = ()

    def run_once(self, spill, tag):
        """A real run in its own state and simulator: (results, posted bodies)."""
        env = {"CLOUTLY_DEDUPE_SPILL": spill,
               "XDG_STATE_HOME": os.path.join(self.dir, f"state-{tag}")}
        for name in os.listdir(self.dir):  # the ledger of the other run
            if name.startswith("state.sqlite"):
                os.unlink(os.path.join(self.dir, name))
        self.start_sim()
        p = self.run_cli("run", "--no-progress", self.pipeline, env=env)
        self.assertRun(p, 0)
        self.sim.quiesce()
        bodies = [r["body"] for r in self.sim.accepted()]
        results = read_csv(self.results)
        os.unlink(self.results)
        return results, bodies

    def test_spill_and_memory_dedupe_agree_and_each_person_is_sent_once(self):
        n = 1500
        write_csv(self.input, HEADER, rows_with_duplicates(n))
        self.write_pipeline(rate="1000/s", extra_api="  max_in_flight: 16\n")
        spilled, posted = self.run_once("1", "spill")
        inmem, posted0 = self.run_once("0", "memory")
        key = lambda r: (r["input_row"], r["status"], r["reason"], r["email"], r["phone_number"])
        self.assertEqual(len(spilled), n)
        self.assertEqual([key(r) for r in spilled], [key(r) for r in inmem])
        by_row = {int(r["input_row"]): r for r in spilled}
        # Far apart: the last rows are duplicates of the first ones (rows[i]
        # is input row i + 2, after the header).
        self.assertEqual(by_row[n]["reason"], "duplicate of input row 3")
        self.assertEqual(by_row[n - 1]["reason"], "duplicate of input row 4")
        self.assertEqual(by_row[n // 2 + 2]["reason"], "duplicate of input row 12")
        self.assertEqual(by_row[n - 3]["reason"], f"duplicate of input row {n // 2 + 2}")
        dups = [r for r in spilled if r["reason"].startswith("duplicate of input row")]
        self.assertGreater(len(dups), 40)
        sent = [r for r in spilled if r["status"] == "sent"]
        self.assertEqual(len(posted), len(sent))
        self.assertEqual(len(posted0), len(sent))
        # At most once per person: no email and no phone posted twice.
        emails = [b.get("email") for b in posted if b.get("email")]
        phones = [b.get("phoneNumber") for b in posted if b.get("phoneNumber")]
        self.assertEqual(len(emails), len(set(emails)))
        self.assertEqual(len(phones), len(set(phones)))

    def test_a_file_broken_near_its_end_sends_nothing(self):
        rows = rows_with_duplicates(800)
        write_csv(self.input, HEADER, rows)
        with open(self.input, "a", encoding="utf-8") as f:
            f.write('C-bad,"unterminated,Last,bad@example.com,0412345678\r\n')
        self.write_pipeline()
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn("input.csv", p.stderr)
        self.sim.quiesce()
        self.assertEqual(self.sim.requests(), [])
        self.assertFalse(os.path.exists(self.results))


if __name__ == "__main__":
    unittest.main()
