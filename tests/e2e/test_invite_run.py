"""End to end: `run` against the simulator, every row accounted for, every
valid contact posted exactly once with the right body."""
import collections
import os
import stat
import unittest

from harness import BUSINESS, CAMPAIGN, E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class InviteRun(E2E):
    sim_args = ("--latency-ms", "20")

    def test_every_valid_contact_posted_once_with_the_right_body(self):
        rows = contacts(25)
        write_csv(self.input, HEADER, rows)
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        posted = self.sim.requests()
        self.assertEqual(len(posted), 25)
        by_email = {r["body"]["channel"]["email"]: r["body"] for r in posted}
        self.assertEqual(len(by_email), 25)
        body = by_email["person7@example.com"]
        self.assertEqual(body["firstName"], "First7")
        self.assertEqual(body["lastName"], "Last7")
        self.assertEqual(body["channel"]["phoneNumber"], "+61412000007")
        self.assertEqual(body["businessId"], BUSINESS)
        self.assertEqual(body["campaignId"], CAMPAIGN)
        self.assertEqual(body["inviteDelayDays"], 1)
        self.assertEqual(body["sourceContactId"], "C7")
        results = read_csv(self.results)
        self.assertEqual([r["status"] for r in results], ["sent"] * 25)
        self.assertEqual([int(r["input_row"]) for r in results], list(range(2, 27)))
        ids = [r["contact_id"] for r in results]
        self.assertEqual(len(set(ids)), 25)
        self.assertTrue(all(len(i) == 36 for i in ids))
        # The SMS counter counts down with each invite that has a phone.
        self.assertEqual(results[-1]["sms_limits_left"], str(1000 - 25))
        self.assertEqual(results[0]["campaign_id"], CAMPAIGN)
        self.assertEqual(results[0]["invite_delay_days"], "1")
        self.assertEqual(results[0]["http_status"], "200")
        self.assertEqual(stat.S_IMODE(os.stat(self.results).st_mode), 0o600)
        self.assertIn("sent 25", p.stderr)
        # No POST ever rides a reused connection (SPEC 5: no hidden resends).
        self.assertTrue(all(r["conn_request"] == 1 for r in posted))

    def test_bad_rows_are_rejected_or_skipped_with_reasons_and_nothing_is_lost(self):
        rows = [
            ("A1", "Olivia", "Nguyen", "Olivia.Nguyen@Example.com ", "0412 345 678"),
            ("A2", "Noah", "OBrien", "noah@@example.com", "0414 555 019"),       # phone only
            ("A3", "", "Taylor", "t@example.com", ""),                           # no first name
            ("A4", "William", "Brown", "will@example.com", "(02) 9374 4000"),    # landline dropped
            ("A5", "Mia", "Chen", "", ""),                                       # no channel
            ("A6", "Olivia", "N", "olivia.nguyen@example.com", ""),              # duplicate of row 2
            ("A7", "Amélie", "Dubois\nSecond line", "amelie@example.fr", "0412 34"),  # quoted newline; bad phone
            ("A8", "Lucas", "Martin", "lucas@example", "not a phone"),           # both bad
            ("A9", "Zoë", "P", "zoe@example.com", "+44 7400 123456"),
        ]
        write_csv(self.input, HEADER, rows)
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual(len(res), 9)
        got = {r["source_contact_id"] or r["input_row"]: r for r in res}
        st = [(r["input_row"], r["status"]) for r in res]
        self.assertEqual(st, [("2", "sent"), ("3", "sent"), ("4", "rejected"), ("5", "sent"),
                              ("6", "rejected"), ("7", "skipped"), ("8", "sent"), ("10", "rejected"),
                              ("11", "sent")])
        self.assertEqual(res[0]["email"], "olivia.nguyen@example.com")
        self.assertIn('invalid email "noah@@example.com"', res[1]["reason"])
        self.assertIn("sent by phone only", res[1]["reason"])
        self.assertEqual(res[1]["email"], "")
        self.assertEqual(res[1]["phone_number"], "+61414555019")
        self.assertIn("missing first name", res[2]["reason"])
        self.assertIn("landline", res[3]["reason"])
        self.assertEqual(res[3]["phone_number"], "")
        self.assertIn("no email or phone", res[4]["reason"])
        self.assertEqual(res[5]["reason"], "duplicate of input row 2")
        self.assertIn("sent by email only", res[6]["reason"])
        self.assertEqual(res[6]["first_name"], "Amélie")
        self.assertEqual(res[8]["phone_number"], "+447400123456")
        posted = self.sim.requests()
        self.assertEqual(sorted(r["body"]["firstName"] for r in posted),
                         sorted(["Olivia", "Noah", "William", "Amélie", "Zoë"]))
        william = [r["body"] for r in posted if r["body"]["firstName"] == "William"][0]
        self.assertNotIn("phoneNumber", william["channel"])
        # Rejects: the original row verbatim, plus input_row and reason.
        rej = read_csv(self.rejects)
        self.assertEqual([r["input_row"] for r in rej], ["4", "6", "10"])
        self.assertEqual(rej[0]["Id"], "A3")
        self.assertEqual(rej[2]["Email"], "lucas@example")
        self.assertEqual(rej[2]["Phone"], "not a phone")
        self.assertIn("invalid phone number", rej[2]["reason"])
        self.assertEqual(list(rej[0].keys()), HEADER + ["input_row", "reason"])

    def test_limit_reads_only_the_first_rows(self):
        write_csv(self.input, HEADER, contacts(10))
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline, "--limit", "4")
        self.assertRun(p, 0)
        self.assertEqual(len(read_csv(self.results)), 4)
        self.assertEqual(len(self.sim.requests()), 4)

    def test_dry_run_sends_nothing_and_writes_dry_run_rows(self):
        write_csv(self.input, HEADER, contacts(5) + [("X", "", "", "", "")])
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline, "--dry-run", env={"CLOUTLY_API_KEY": ""})
        self.assertRun(p, 0)
        self.assertEqual(self.sim.requests(None), [])
        self.assertEqual([r["status"] for r in read_csv(self.results)], ["dry_run"] * 5 + ["rejected"])

    def test_check_counts_reasons_with_examples_and_touches_nothing(self):
        write_csv(self.input, HEADER, contacts(3) + [("X", "Bob", "", "bob@@x.com", "")] * 2)
        self.write_pipeline()
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("5: 3 valid (would be sent), 2 rejected, 0 skipped", p.stdout)
        self.assertIn("invalid email", p.stdout)
        self.assertIn('row 5: invalid email "bob@@x.com"', p.stdout)
        self.assertIn("firstName        <- 'First Name'", p.stdout)
        self.assertFalse(os.path.exists(self.results))
        self.assertEqual(self.sim.requests(None), [])

    def test_missing_column_is_exit_4_naming_it_and_listing_the_columns(self):
        write_csv(self.input, ["Id", "Given", "Email"], [("1", "A", "a@example.com")])
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("no column 'First Name'", p.stderr)
        self.assertIn("'Given'", p.stderr)
        self.assertEqual(self.sim.requests(None), [])

    def test_missing_input_file_is_exit_4(self):
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("input.csv", p.stderr)

    def test_unbalanced_quote_stops_before_anything_is_sent(self):
        with open(self.input, "w") as f:
            f.write("Id,First Name,Last Name,Email,Phone\r\n1,Ann,B,ann@example.com,\r\n2,\"Bob,C,bob@example.com,\r\n")
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("line 3", p.stderr)
        self.assertIn("unbalanced quote", p.stderr)
        self.assertEqual(self.sim.requests(None), [])

    def test_the_key_never_appears_even_verbose(self):
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        p = self.run_cli("run", "-v", self.pipeline)   # run_cli asserts the key is absent
        self.assertRun(p, 0)
        self.assertIn("x-api-key: [redacted]", p.stderr)
        self.assertIn("POST /api/v1/send-review-invite", p.stderr)


if __name__ == "__main__":
    unittest.main()
