"""End to end: a server that echoes the key back never gets it into our
results, rejects, ledger or stderr (issue 9: "scrub the key from everything
the server says"). The simulator's --echo-key quotes the request's key in
every error message and in a response header; the run below meets a 400
(failed, its message kept), a 500 (in_doubt), and with -v the trace prints
headers and bodies. The harness already fails any test whose output holds
the key; this one also reads the ledger."""
import os
import sqlite3
import unittest

from harness import API_KEY, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class KeyScrub(E2E):
    sim_args = ("--echo-key", "--fault", "2=400", "--fault", "3=500")

    def test_an_echoed_key_is_blotted_out_everywhere(self):
        write_csv(self.input, HEADER, contacts(4))
        self.write_pipeline(extra_api="  max_in_flight: 1\n")
        p = self.run_cli("run", "-v", "--no-progress", self.pipeline)
        self.assertRun(p, 1)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "failed", "in_doubt", "sent"])
        # The server's message is kept, with the key blotted out.
        self.assertIn("request key " + "*" * len(API_KEY), res[1]["reason"])
        self.assertIn("*" * len(API_KEY), p.stderr, "the trace showed the echo, blotted")
        with sqlite3.connect(os.path.join(self.dir, "state.sqlite")) as db:
            dump = "\n".join(db.iterdump())
        self.assertNotIn(API_KEY, dump)
        with open(self.rejects, encoding="utf-8") as f:
            self.assertNotIn(API_KEY, f.read())

    def test_a_refused_key_is_not_quoted_back_either(self):
        p = self.run_cli("businesses", "--format", "csv", env={"CLOUTLY_API_KEY": "wrong-key-123456"})
        self.assertRun(p, 3)
        self.assertNotIn("wrong-key-123456", p.stderr)



class HugeBusinesses(E2E):
    sim_args = ("--business", "44271176-7053-4534-ad6f-b38d132d341e:" + "N" * 100000)

    def test_an_oversized_business_name_is_named_not_out_of_memory(self):
        p = self.run_cli("businesses", "--format", "csv")
        self.assertRun(p, 4)
        self.assertNotIn("out of memory", p.stderr)
        self.assertIn("longer than 4 KiB", p.stderr)


if __name__ == "__main__":
    unittest.main()
