"""End to end: output.report writes the HTML page at the end of every run
(issue 17, item 1), from the account's ledger, and the page's counts are
the run's: what the results file says was sent."""
import os
import re
import unittest

from harness import E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class RunReport(E2E):
    sim_args = ()

    def test_every_run_writes_the_report(self):
        page = os.path.join(self.dir, "report.html")
        write_csv(self.input, HEADER, contacts(5))
        with open(self.pipeline, "w") as f:
            from harness import pipeline_yaml
            text = pipeline_yaml(self.input, self.results, self.rejects)
            f.write(text.replace(f"  rejects: {self.rejects}\n",
                                 f"  rejects: {self.rejects}\n  report: {page}\n"))
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertRun(p, 0)
        sent = sum(r["status"] == "sent" for r in read_csv(self.results))
        self.assertEqual(sent, 5)
        with open(page, encoding="utf-8") as f:
            html = f.read()
        self.assertIn("<html", html)
        self.assertNotIn("<script", html)
        runs = re.findall(r'data-metric="run\.[^"]*\.sent"[^>]*>([\d,]+)<', html)
        self.assertEqual(len(runs), 1, "one run on the page")
        self.assertEqual(int(runs[0].replace(",", "")), 5, "its sent count is the results file's")
        # A second run (nothing new) rewrites it; the count stays the account's.
        os.unlink(page)
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 0)
        self.assertTrue(os.path.exists(page))


if __name__ == "__main__":
    unittest.main()
