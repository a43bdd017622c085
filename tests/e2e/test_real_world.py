"""End to end: what real exports throw at the tool. Consent per channel, a
per-row country, email typos, unicode domains, several locations, and
malformed files: each gets a clear error or a rejected row with its line,
and the rows around a bad one are still processed."""
import os
import unittest

from harness import BUSINESS, E2E, read_csv

BONDI = "5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4"
SURRY = "634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5"


class RealWorld(E2E):
    sim_args = ()

    def write(self, text, encoding="utf-8"):
        with open(self.input, "w", encoding=encoding, newline="") as f:
            f.write(text)

    def pipeline_with(self, columns, extra="", validate="  default_country: AU\n", invite_extra=""):
        self.write_pipeline(columns=columns, validate=validate, invite_extra=invite_extra)
        if extra:
            with open(self.pipeline, "a") as f:
                f.write(extra)

    def test_consent_drops_the_channel_not_the_contact(self):
        self.write("First Name,Email,Phone,Accepts SMS Marketing,Accepts Email Marketing\r\n"
                   "Ann,ann@example.com,0412 000 001,yes,yes\r\n"
                   "Ben,ben@example.com,0412 000 002,no,yes\r\n"
                   "Cat,cat@example.com,0412 000 003,yes,no\r\n"
                   "Dan,dan@example.com,0412 000 004,no,no\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n    phoneNumber: "Phone"\n',
                           extra="channels:\n"
                                 "  sms: { column: \"Accepts SMS Marketing\", in: [\"yes\", \"true\"] }\n"
                                 "  email: { column: \"Accepts Email Marketing\", in: [\"yes\"] }\n")
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "sent", "sent", "skipped"])
        self.assertIn("no SMS consent ('Accepts SMS Marketing' is \"no\")", res[1]["reason"])
        self.assertIn("no email consent", res[2]["reason"])
        bodies = {r["body"]["firstName"]: r["body"]["channel"] for r in self.sim.requests()}
        self.assertEqual(bodies["Ann"], {"email": "ann@example.com", "phoneNumber": "+61412000001"})
        self.assertEqual(bodies["Ben"], {"email": "ben@example.com"})
        self.assertEqual(bodies["Cat"], {"phoneNumber": "+61412000003"})
        self.assertNotIn("Dan", bodies)

    def test_an_opt_out_column_keeps_its_blank_cells(self):
        # HubSpot's "Unsubscribed from all email" is blank for most contacts.
        self.write("First Name,Email,Unsubscribed from all email\r\n"
                   "Ann,ann@example.com,\r\nBen,ben@example.com,true\r\nCat,cat@example.com,false\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n',
                           extra="channels:\n  email:\n    column: \"Unsubscribed from all email\"\n"
                                 "    not_in: [\"yes\", \"true\", \"1\"]\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual([r["status"] for r in read_csv(self.results)], ["sent", "skipped", "sent"])
        self.assertEqual(sorted(r["body"]["firstName"] for r in self.sim.requests()), ["Ann", "Cat"])

    def test_placeholder_ids_from_guess_are_refused_before_sending(self):
        self.write("First Name,Email\r\nAnn,ann@example.com\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n')
        with open(self.pipeline) as f:
            text = f.read()
        with open(self.pipeline, "w") as f:
            f.write(text.replace("2c07094a-ed58-4cf2-9595-cf1b1d303d9d", "00000000-0000-0000-0000-000000000000"))
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("campaign_id is still the placeholder", p.stderr)
        self.assertEqual(self.sim.requests(None), [])
        self.assertRun(self.run_cli("run", "--dry-run", self.pipeline), 0)

    def test_a_country_column_wins_over_the_default_country(self):
        self.write("First Name,Phone,Country\r\n"
                   "Aroha,021 123 4567,New Zealand\r\n"
                   "Olivia,0412 345 678,\r\n"
                   "Jack,07400 123456,UK\r\n"
                   "Hans,0151 23456789,DE\r\n")
        self.pipeline_with('    firstName: "First Name"\n    phoneNumber: "Phone"\n    country: "Country"\n')
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        phones = [r["phone_number"] for r in read_csv(self.results)]
        self.assertEqual(phones, ["+64211234567", "+61412345678", "+447400123456", "+4915123456789"])

    def test_email_typos_are_reported_and_fixed_only_when_asked(self):
        self.write("First Name,Email\r\nAnn,ann@gmial.com\r\nBob,bob@hotmial.com\r\nJosé,josé@bücher.de\r\n")
        cols = '    firstName: "First Name"\n    email: "Email"\n'
        self.pipeline_with(cols)
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("3: 3 valid", p.stdout)
        self.assertIn("email domain 'gmial.com' looks like a typo of 'gmail.com'", p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(sorted(r["body"]["channel"]["email"] for r in self.sim.requests()),
                         ["ann@gmial.com", "bob@hotmial.com", "josé@bücher.de"])
        self.start_sim()
        os.unlink(os.path.join(self.dir, "state.sqlite"))
        self.pipeline_with(cols, validate="  default_country: AU\n  fix_email_typos: true\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(sorted(r["body"]["channel"]["email"] for r in self.sim.requests()),
                         ["ann@gmail.com", "bob@hotmail.com", "josé@bücher.de"])
        self.assertIn("corrected to 'gmail.com'", read_csv(self.results)[0]["reason"])

    def test_accented_capitals_in_emails_dedupe_as_one_person(self):
        self.write("First Name,Email\r\nRenée,RENÉE.TAYLOR@example.com\r\nR,renée.taylor@example.com\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n')
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual(res[0]["email"], "renée.taylor@example.com")
        self.assertEqual(res[1]["reason"], "duplicate of input row 2")

    def test_locations_through_business_map_and_unmapped_ones_listed_once(self):
        self.write("First Name,Email,Store\r\n"
                   "Ann,ann@example.com,Bondi\r\nBen,ben@example.com,Parramatta\r\n"
                   "Cat,cat@example.com,bondi\r\nDan,dan@example.com,Parramatta\r\n"
                   "Eve,eve@example.com,Manly\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n    businessId: "Store"\n',
                           invite_extra=f'  business_map:\n    "Bondi": {BONDI}\n')
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn('"Parramatta"  2 rows', p.stdout)
        self.assertIn('"Manly"  1 row', p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "rejected", "sent", "rejected", "rejected"])
        self.assertEqual(res[0]["business_id"], BONDI)
        self.assertIn('unknown location "Parramatta"', res[1]["reason"])

    def test_business_by_name_matches_the_accounts_locations(self):
        self.write("First Name,Email,Store\r\nAnn,ann@example.com,Bondi\r\n"
                   "Ben,ben@example.com,Surry Hills\r\nCat,cat@example.com,Nowhere\r\n")
        self.pipeline_with('    firstName: "First Name"\n    email: "Email"\n    businessId: "Store"\n',
                           invite_extra="  business_by_name: true\n")
        with open(self.pipeline) as f:
            text = f.read()
        with open(self.pipeline, "w") as f:  # no single business: every row names its own
            f.write(text.replace(f"  business_id: {BUSINESS}\n", ""))
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([r["business_id"] for r in res[:2]], [BONDI, SURRY])
        self.assertEqual(res[2]["status"], "rejected")
        self.assertEqual(len(self.sim.requests()), 2)
        self.assertEqual(len(self.sim.requests("/api/v1/businesses")), 1)


class Malformed(E2E):
    sim_args = ()
    COLS = '    firstName: "First Name"\n    email: "Email"\n'

    def run_file(self, data: bytes, code=0):
        with open(self.input, "wb") as f:
            f.write(data)
        self.write_pipeline(columns=self.COLS)
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, code)
        return p

    def test_too_many_and_too_few_fields_are_rejected_with_their_line(self):
        self.run_file(b"First Name,Email\r\nAnn,ann@example.com\r\nSmith, Jane,jane@example.com\r\n"
                      b"Bob\r\nCat,cat@example.com\r\n")
        res = read_csv(self.results)
        self.assertEqual([(r["input_row"], r["status"]) for r in res],
                         [("2", "sent"), ("3", "rejected"), ("4", "rejected"), ("5", "sent")])
        self.assertIn("row has 3 fields but the header has 2", res[1]["reason"])
        self.assertIn("row has 1 fields but the header has 2", res[2]["reason"])
        rej = read_csv(self.rejects)
        self.assertEqual([r["input_row"] for r in rej], ["3", "4"])
        # Still a table: the extra field is joined back into the last column.
        self.assertEqual((rej[0]["First Name"], rej[0]["Email"]), ("Smith", " Jane,jane@example.com"))
        self.assertEqual((rej[1]["First Name"], rej[1]["Email"]), ("Bob", ""))

    def test_a_field_over_64_kib_is_rejected_and_its_neighbours_go_out(self):
        big = b"x" * (70 * 1024)
        self.run_file(b"First Name,Email\r\nAnn,ann@example.com\r\nBig," + big + b"\r\nCat,cat@example.com\r\n")
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "rejected", "sent"])
        self.assertIn("column 'Email' holds 71680 bytes, over the 64 KiB", res[1]["reason"])

    def test_cr_only_line_ends(self):
        self.run_file(b"First Name,Email\rAnn,ann@example.com\r\"Multi\rLine\",m@example.com\rCat,cat@example.com\r")
        res = read_csv(self.results)
        self.assertEqual([r["input_row"] for r in res], ["2", "3", "5"])
        self.assertEqual(res[1]["first_name"], "Multi\rLine")
        self.assertEqual(len(self.sim.requests()), 3)

    def test_mixed_line_ends(self):
        self.run_file(b"First Name,Email\r\nAnn,ann@example.com\nBob,bob@example.com\rCat,cat@example.com\r\n")
        res = read_csv(self.results)
        self.assertEqual([(r["input_row"], r["first_name"]) for r in res],
                         [("2", "Ann"), ("3", "Bob"), ("4", "Cat")])

    def test_unbalanced_quote_names_the_line_and_sends_nothing(self):
        p = self.run_file(b"First Name,Email\r\nAnn,ann@example.com\r\n\"Bob,bob@example.com\r\nCat,cat@example.com\r\n", 4)
        self.assertIn("line 3: unbalanced quote", p.stderr)
        self.assertEqual(self.sim.requests(), [])

    def test_header_only_file_is_a_complete_empty_run(self):
        p = self.run_file(b"First Name,Email\r\n")
        self.assertEqual(read_csv(self.results), [])
        self.assertIn("sent 0", p.stderr)

    def test_empty_file_is_exit_4(self):
        p = self.run_file(b"", 4)
        self.assertIn("the file is empty (expected a header row)", p.stderr)


if __name__ == "__main__":
    unittest.main()
