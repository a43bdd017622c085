"""End to end: real exports read right (issue 10, and issue 9 items 6 and 8).

Each test is one class of real file, in a small file shaped like what the
system writes (its real header row; invented people), run through the
binary: `check` for what it says, `run` against the simulator for what the
API receives, and the results file for what a person reads afterwards."""
import os
import subprocess
import unittest

from harness import BIN, BUSINESS, CAMPAIGN, E2E, SRC, read_csv


def sample(name):
    return os.path.join(SRC, "samples", name + ".csv")


class RealExports(E2E):
    sim_args = ()

    def auto(self, input_path, country="AU", extra=""):
        """A pipeline with no input.columns: everything from the header."""
        with open(self.pipeline, "w") as f:
            f.write("version: 1\nkind: invite\nname: real\n"
                    "api:\n  api_key: ${CLOUTLY_API_KEY}\n  rate_limit: 50/s\n  timeout: 5s\n"
                    f"input:\n  path: {input_path}\n{extra}"
                    f"validate:\n  default_country: {country}\n"
                    f"invite:\n  business_id: {BUSINESS}\n  campaign_id: {CAMPAIGN}\n"
                    f"output:\n  results: {self.results}\n  rejects: {self.rejects}\n"
                    "state:\n  path: state.sqlite\n")

    def write(self, text, encoding="utf-8"):
        with open(self.input, "w", encoding=encoding, newline="") as f:
            f.write(text)

    def write_bytes(self, data):
        with open(self.input, "wb") as f:
            f.write(data)

    def bodies(self):
        return [r["body"] for r in self.sim.requests()]

    def guess(self, path):
        env = {k: v for k, v in os.environ.items() if k != "CLOUTLY_API_KEY"}
        return subprocess.run([BIN, "guess", path], capture_output=True, text=True, env=env,
                              timeout=60)

    # ---- 1. opt-outs ----

    def test_mailchimp_unsubscribed_export_invites_no_one(self):
        self.auto(sample("mailchimp-unsubscribed"))
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("opt-out  'UNSUB_TIME': the file is a Mailchimp unsubscribed export", p.stdout)
        self.assertIn("0 valid (would be sent)", p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(self.bodies(), [])
        res = read_csv(self.results)
        self.assertEqual({r["status"] for r in res}, {"skipped"})
        self.assertIn("unsubscribed: the file is a Mailchimp unsubscribed export (its 'UNSUB_TIME' "
                      "column): not invited", res[0]["reason"])
        g = self.guess(sample("mailchimp-unsubscribed"))
        self.assertIn("looks like a Mailchimp unsubscribed members export", g.stderr)
        self.assertIn("# opt-out: UNSUB_TIME: the file is a Mailchimp unsubscribed export: no one "
                      "in it is invited", g.stdout)
        self.assertIn("honour_opt_outs: true", g.stdout)

    def test_mailchimp_cleaned_export_drops_the_email(self):
        self.auto(sample("mailchimp-cleaned"))
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(self.bodies(), [{**self.bodies()[0], "channel": {"phoneNumber": "+61412345679"}}])
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "skipped"])
        self.assertIn("cleaned (bounced)", res[1]["reason"])

    def test_status_and_flag_columns_are_obeyed_and_named(self):
        self.write("First Name,Email,Mobile,Status,Email Status,Do Not Contact,SMS Opt-Out,"
                   "Send Promotional Texts\r\n"
                   "Ann,ann@example.com,0412 000 001,active,valid,,,yes\r\n"
                   "Ben,ben@example.com,0412 000 002,Unsubscribed,valid,,,yes\r\n"
                   "Cat,cat@example.com,0412 000 003,active,Bounced,,,no\r\n"
                   "Dan,dan@example.com,0412 000 004,active,valid,Yes,,\r\n"
                   "Eve,eve@example.com,0412 000 005,active,valid,,TRUE,\r\n"
                   "Fay,fay@example.com,0412 000 006,Opted Out,valid,,,\r\n")
        self.auto(self.input)
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        for col in ("Status", "Email Status", "Do Not Contact", "SMS Opt-Out"):
            self.assertIn(f"opt-out  '{col}'", p.stdout)
        # A consent-like column the tool does not know is listed, never silently ignored.
        self.assertIn("warning  'Send Promotional Texts' looks like a consent column", p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        sent = {b["firstName"]: b["channel"] for b in self.bodies()}
        self.assertEqual(sent["Ann"], {"email": "ann@example.com", "phoneNumber": "+61412000001"})
        self.assertEqual(sent["Cat"], {"phoneNumber": "+61412000003"})
        self.assertEqual(sent["Eve"], {"email": "eve@example.com"})
        self.assertNotIn("Ben", sent)
        self.assertNotIn("Dan", sent)
        self.assertNotIn("Fay", sent)
        res = {r["first_name"] or r["input_row"]: r for r in read_csv(self.results)}
        reasons = [r["reason"] for r in read_csv(self.results)]
        self.assertIn("unsubscribed ('Status' is \"Unsubscribed\"): not invited", reasons[1])
        self.assertIn("bounced ('Email Status' is \"Bounced\"): email not used", reasons[2])
        self.assertIn("opted out ('SMS Opt-Out' is \"TRUE\"): phone not used", reasons[4])
        g = self.guess(self.input)
        self.assertIn("# WARNING: Send Promotional Texts looks like consent but is not understood",
                      g.stdout)
        # The opt-outs can be turned off, knowingly.
        with open(self.pipeline) as f:
            text = f.read().replace("validate:\n", "validate:\n  honour_opt_outs: false\n")
        with open(self.pipeline, "w") as f:
            f.write(text)
        p = self.run_cli("check", self.pipeline)
        self.assertIn("6 valid (would be sent)", p.stdout)
        self.assertIn("not obeyed: validate.honour_opt_outs is false", p.stdout)

    # ---- 2. the phone country ----

    def test_mailchimp_cc_is_not_the_phone_country(self):
        # CC is where the sign-up's IP address was: TH here, the phones are AU's.
        g = self.guess(sample("mailchimp-unsubscribed"))
        self.assertIn("default_country: AU", g.stdout)
        self.assertNotIn('country: "CC"', g.stdout)

    def test_us_states_in_country_region_are_not_countries(self):
        self.write("First Name,Email,Phone Number,Country/Region\r\n"
                   "Ann,ann@example.com,(501) 555-0123,AR\r\n"
                   "Ben,ben@example.com,(212) 555-0187,NY\r\n"
                   "Cat,cat@example.com,(415) 555-0101,CA\r\n")
        g = self.guess(self.input)
        self.assertIn("default_country: US", g.stdout)
        self.assertIn("holds US state codes, not countries", g.stderr)
        self.assertNotIn('country: "Country/Region"', g.stdout)

    # ---- 3. names ----

    def test_names_as_exports_write_them(self):
        self.auto(sample("stripe-customers"), country="US")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        names = {(b["firstName"], b.get("lastName")) for b in self.bodies()}
        self.assertEqual(names, {("Rowan", "Tate"), ("Jide", "Okoro"), ("Mat", "Abernethy"),
                                 ("Anna", "Calhoun")})
        for b in self.bodies():
            self.assertNotIn("@", b["firstName"])
        res = read_csv(self.results)
        self.assertEqual(res[4]["status"], "rejected")
        self.assertIn("the name column 'Name' holds an email address, not a name", res[4]["reason"])
        self.write("Name,Email\r\nDr. Jane Roe,jane@example.com\r\nMrs Anne O'Neil,anne@example.com\r\n"
                   "\"[Kim Lee]\",kim@example.com\r\n")
        self.auto(self.input)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        got = [(b["firstName"], b.get("lastName")) for b in self.bodies()[-3:]]
        self.assertEqual(got, [("Jane", "Roe"), ("Anne", "O'Neil"), ("Kim", "Lee")])

    # ---- 4. systems ----

    def test_systems_are_named_and_read(self):
        want = {"google-contacts": "Google Contacts export", "google-contacts-2023":
                "Google Contacts (2023 layout) export", "outlook-contacts": "an Outlook contacts export",
                "zoho-books-contacts": "Zoho Books / Invoice contacts", "stripe-customers":
                "Stripe customers", "woocommerce-customers": "WooCommerce customers",
                "woocommerce-orders": "WooCommerce orders"}
        for name, system in want.items():
            self.assertIn(system, self.guess(sample(name)).stderr, name)
        # Two shared names of sixteen are no Square file.
        self.write("Display Name,Company Name,EmailID,Phone,First Name,Last Name\r\n"
                   "Ann Lee,Lee Ltd,ann@example.com,,Ann,Lee\r\n")
        self.assertIn("not a known export", self.guess(self.input).stderr)
        # Google's " ::: " multi-values: the first valid value of the cell.
        self.auto(sample("google-contacts"))
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        sent = {b["firstName"]: b["channel"] for b in self.bodies()}
        self.assertEqual(sent["Harriet"], {"email": "h.moss@example.org", "phoneNumber": "+61412555019"})
        self.assertEqual(sent["Tomás"], {"email": "tomas.ruiz@example.es"})

    # ---- 5. duplicate header names ----

    def test_duplicate_headers_are_fallbacks_and_addressable(self):
        self.write("Record ID,First Name,Email,Phone Number,Phone Number\r\n"
                   "1,Ann,,0412 000 001,\r\n"
                   "2,Ben,,,0412 000 002\r\n")
        self.auto(self.input)
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("phoneNumber      <- 'Phone Number' | 'Phone Number#2'", p.stdout)
        self.assertIn("2 valid", p.stdout)
        for ref in ('"Phone Number#2"', '"#5"'):
            self.auto(self.input, extra=f"  columns:\n    firstName: \"First Name\"\n"
                                        f"    phoneNumber: {ref}\n")
            p = self.run_cli("check", self.pipeline)
            self.assertIn("1 valid", p.stdout, ref)
            self.assertIn("phoneNumber      <- 'Phone Number#2'", p.stdout, ref)
        # Two different columns that fit one field equally well: an error naming both.
        self.write("First Name,Email,Email Address\r\nAnn,a@example.com,b@example.com\r\n")
        self.auto(self.input)
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("2 columns could be the email: 'Email' and 'Email Address'", p.stderr)

    # ---- 6. phone cells with words; landline-only ----

    def test_phone_words_lose_the_label_not_the_row(self):
        self.write("First Name,Mobile,Email\r\n"
                   "Adele,0417 033 922 adele,\r\n"
                   "Mami,+1 (849) 525-8432 Mami,\r\n"
                   "Mo,mob 0412 345 678,\r\n"
                   "Lan,(02) 9374 4001,\r\n"
                   "Free,1800 123 456,free@example.com\r\n")
        self.auto(self.input)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        phones = [b["channel"]["phoneNumber"] for b in self.bodies() if "phoneNumber" in b["channel"]]
        self.assertEqual(phones, ["+61417033922", "+18495258432", "+61412345678"])
        res = read_csv(self.results)
        self.assertEqual(res[3]["status"], "skipped")
        self.assertIn("is a landline", res[3]["reason"])
        # A toll-free number is named as such, not "landline".
        self.assertEqual(res[4]["status"], "sent")
        self.assertIn("phone +611800123456 is a toll-free number: not sent by SMS", res[4]["reason"])

    # ---- 7. CSV leniency and broken quotes ----

    def test_spaces_after_a_closing_quote_and_a_broken_quote(self):
        self.write('Name,Email\r\n"Smith, John" ,john@example.com\r\n"Doe, Jane"  ,jane@example.com\r\n')
        self.auto(self.input)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual([b["firstName"] for b in self.bodies()], ["John", "Jane"])
        self.write('Name,Email\r\nAnn Lee,ann@example.com\r\n"Bob, Ray,bob@example.com\r\nCat Low,cat@example.com\r\n')
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("line 3: unbalanced quote", p.stderr)
        g = self.guess(self.input)
        self.assertEqual(g.returncode, 4)
        self.assertIn("version: 1", g.stdout)
        self.assertIn('email: "Email"', g.stdout)
        self.assertIn("# WARNING: reading stopped:", g.stdout)
        self.assertIn("line 3: unbalanced quote", g.stderr)

    # ---- 8. every row in the results ----

    def test_blank_rows_are_skipped_rows(self):
        self.write('First Name,Email\r\nAnn,ann@example.com\r\n\r\n   \r\n""\r\n,\r\nBen,ben@example.com\r\n')
        self.auto(self.input)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        res = read_csv(self.results)
        self.assertEqual([(r["input_row"], r["status"], r["reason"]) for r in res],
                         [("2", "sent", ""), ("3", "skipped", "blank row"), ("4", "skipped", "blank row"),
                          ("5", "skipped", "blank row"), ("6", "skipped", "blank row"), ("7", "sent", "")])

    # ---- 9. encodings ----

    def test_windows_1251_and_1256_are_read(self):
        self.auto(sample("windows-1251-contacts"), country="RU")
        p = self.run_cli("check", self.pipeline)
        self.assertIn("encoding windows-1251", p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertIn("Анна", [b["firstName"] for b in self.bodies()])
        res = read_csv(self.results)
        self.assertEqual(res[0]["first_name"], "Анна")
        self.write("First Name,Last Name,Email\r\nمحمد,العلي,m.ali@example.sa\r\n"
                   "فاطمة,الزهراني,fatima@example.sa\r\nأحمد,حسن,ahmed@example.ae\r\n",
                   encoding="cp1256")
        self.auto(self.input)
        p = self.run_cli("check", self.pipeline)
        self.assertIn("encoding windows-1256", p.stdout)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(read_csv(self.results)[0]["first_name"], "محمد")

    def test_encoding_names_and_low_confidence(self):
        self.write("First Name,Email\r\nZofia,z@example.pl\r\nŁukasz,l@example.pl\r\n",
                   encoding="iso8859_2")
        self.auto(self.input, extra="  encoding: ISO-8859-2\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual(read_csv(self.results)[1]["first_name"], "Łukasz")
        self.auto(self.input, extra="  encoding: latin99\n")
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("invalid encoding 'latin99'", p.stderr)
        # One accented letter is too little to be sure: said, with the setting.
        self.write("First Name,Email\r\nRenée,r@example.fr\r\n", encoding="cp1252")
        self.auto(self.input)
        p = self.run_cli("check", self.pipeline)
        self.assertIn("was guessed from little text", p.stdout)
        self.assertIn("set input.encoding", p.stdout)
        self.assertIn("was guessed from little text", self.guess(self.input).stderr)

    def test_utf32_is_read(self):
        for enc in ("utf-32", "utf-32-be"):
            self.write_bytes("First Name,Email\r\nAnn,ann@example.com\r\n".encode(enc))
            self.auto(self.input)
            p = self.run_cli("check", self.pipeline)
            self.assertRun(p, 0)
            self.assertIn("1 valid", p.stdout)
            self.assertIn("encoding utf-32", p.stdout)

    # ---- 10. messages that keep their values ----

    def test_messages_keep_their_values(self):
        self.write("First Name,Email,Accepts Email Marketing,Extra\r\n"
                   "Ann,ann@example.com,,\r\n"
                   "Ben,ben@example.com,yes,,stray\r\n")
        self.auto(self.input, extra="channels:\n  email: { column: \"Accepts Email Marketing\", in: [\"yes\"] }\n")
        with open(self.pipeline) as f:
            text = f.read()
        # channels: belongs at the top level, after input:
        text = text.replace("channels:\n  email: { column: \"Accepts Email Marketing\", in: [\"yes\"] }\n", "")
        text = text.replace("validate:\n", "channels:\n  email: { column: \"Accepts Email Marketing\", "
                                          "in: [\"yes\"] }\nvalidate:\n")
        with open(self.pipeline, "w") as f:
            f.write(text)
        p = self.run_cli("check", self.pipeline)
        self.assertIn("no email consent ('Accepts Email Marketing' is \"...\"): email not used", p.stdout)
        self.assertIn("row has N fields but the header has N", p.stdout)
        self.write("First Name,Phone\r\nAnn,12\r\n")
        self.auto(self.input)
        with open(self.pipeline) as f:
            text = f.read().replace("  default_country: AU\n", "")
        with open(self.pipeline, "w") as f:
            f.write(text.replace("validate:\n", "validate:\n  dedupe: true\n"))
        p = self.run_cli("run", self.pipeline, "--dry-run")
        self.assertNotIn("sent 0", p.stderr)
        self.assertIn("dry run 0", p.stderr)

    # ---- issue 9, items 6 and 8 ----

    def test_invalid_utf8_never_reaches_the_api(self):
        data = ("First Name,Email\r\nAnn,ann@example.com\r\n").encode() + \
            b"Bad\xed\xa0\x80,bad@example.com\r\nBig\xf4\x90\x80\x80,big@example.com\r\nCat,cat@example.com\r\n"
        self.write_bytes(data)
        self.auto(self.input, extra="  encoding: utf-8\n")
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual([b["firstName"] for b in self.bodies()], ["Ann", "Cat"])
        with open(self.results, "rb") as f:
            f.read().decode("utf-8")  # the results file is UTF-8 throughout
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "rejected", "rejected", "sent"])
        self.assertIn("column 'First Name' is not valid UTF-8 (byte 4 of the field", res[1]["reason"])

    def test_one_huge_row_is_rejected_and_the_rest_kept(self):
        many = ",".join(["x"] * 5000)
        big = "y" * (2 * 1024 * 1024)
        self.write(f"First Name,Email\r\nAnn,ann@example.com\r\n{many}\r\n"
                   f"Bob,\"{big}\"\r\nCat,cat@example.com\r\n")
        self.auto(self.input)
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        self.assertEqual([b["firstName"] for b in self.bodies()], ["Ann", "Cat"])
        res = read_csv(self.results)
        self.assertEqual([r["status"] for r in res], ["sent", "rejected", "rejected", "sent"])
        self.assertIn("more than 4096 fields", res[1]["reason"])
        self.assertIn("holds more than 1048576 bytes", res[2]["reason"])


if __name__ == "__main__":
    unittest.main()
