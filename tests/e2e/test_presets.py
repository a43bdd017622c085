"""End to end: header presets (issue 5 item 3). Each sample export in
samples/ is checked with a pipeline that has no input.columns at all: the
binary must recognise the system, map every field from the header exactly as
listed here, and count exactly these valid, rejected and skipped rows. Two
runs against the simulator show non-ASCII names arriving as the same UTF-8
text, Shopify's leading ' gone from ids and phones, and the mobile column
winning over the others.

A case is data: add a sample and a line here."""
import os
import unittest

from harness import BUSINESS, CAMPAIGN, E2E, SRC, read_csv

G = "  (from the header)"

# sample file -> (default_country, system line, mapping lines, (rows, valid, rejected, skipped))
CASES = {
    "shopify-customers": ("AU", "looks like a Shopify customers export (13 of 13 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email'",
        "phoneNumber      <- 'Phone' | 'Default Address Phone'",
        "sourceContactId  <- 'Customer ID'",
        "country          <- 'Default Address Country Code'"], (14, 10, 3, 1)),
    "shopify-legacy-customers": ("US", "looks like a Shopify customers (legacy layout) export (11 of 11 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email'",
        "phoneNumber      <- 'Phone'",
        "country          <- 'Country Code' | 'Country'"], (10, 6, 3, 1)),
    "square-customers": ("AU", "looks like a Square customers export (14 of 16 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email Address'",
        "phoneNumber      <- 'Phone Number'",
        "sourceContactId  <- 'Square Customer ID'"], (24, 19, 3, 2)),
    "square-customers-uk": ("GB", "looks like a Square customers export (14 of 16 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Surname'",
        "email            <- 'Email Address'",
        "phoneNumber      <- 'Phone Number'",
        "sourceContactId  <- 'Square Customer ID'"], (10, 6, 3, 1)),
    "lightspeed-customers": ("NZ", "looks like a Lightspeed Retail (X-Series, formerly Vend) customers export (17 of 18 telltale columns)", [
        "firstName        <- 'first_name'",
        "lastName         <- 'last_name'",
        "email            <- 'email'",
        "phoneNumber      <- 'mobile' | 'phone'",
        "sourceContactId  <- 'id'",
        "country          <- 'physical_country_id' | 'postal_country_id'"], (10, 7, 2, 1)),
    "clover-customers": ("US", "looks like a Clover customers export (7 of 7 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email Address'",
        "phoneNumber      <- 'Phone Number'",
        "sourceContactId  <- 'Customer ID'",
        "country          <- 'Country'"], (9, 5, 3, 1)),
    "hubspot-contacts": ("US", "looks like a HubSpot contacts export (6 of 11 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email'",
        "phoneNumber      <- 'Mobile Phone Number' | 'Phone Number'",
        "sourceContactId  <- 'Record ID'"], (13, 9, 3, 1)),
    "mailchimp-audience": ("GB", "looks like a Mailchimp audience export (15 of 15 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email Address'",
        "phoneNumber      <- 'Phone Number'"], (8, 6, 1, 1)),
    "mailchimp-merge-tags": ("IE", "looks like a Mailchimp audience (merge tags) export (2 of 2 telltale columns)", [
        "firstName        <- 'FNAME'",
        "lastName         <- 'LNAME'",
        "email            <- 'EMAIL'",
        "phoneNumber      <- 'PHONE'"], (7, 3, 3, 1)),
    # CC is where the sign-up's IP address was, not the contact's address:
    # it is no country column (issue 10).
    "salesforce-report": ("US", "looks like a Salesforce contacts report export (10 of 11 telltale columns)", [
        "firstName        <- 'First Name'",
        "lastName         <- 'Last Name'",
        "email            <- 'Email'",
        "phoneNumber      <- 'Mobile' | 'Phone'",
        "sourceContactId  <- 'Contact ID'",
        "country          <- 'Mailing Country'"], (7, 4, 2, 1)),
    "salesforce-dataloader": ("US", "looks like a Salesforce Data Loader contacts export (11 of 16 telltale columns)", [
        "firstName        <- 'FIRSTNAME'",
        "lastName         <- 'LASTNAME'",
        "email            <- 'EMAIL'",
        "phoneNumber      <- 'MOBILEPHONE' | 'PHONE'",
        "sourceContactId  <- 'ID'",
        "country          <- 'MAILINGCOUNTRY'"], (6, 4, 2, 0)),
    "xero-contacts": ("NZ", "looks like a Xero contacts export (17 of 17 telltale columns)", [
        "firstName        <- 'FirstName'",
        "lastName         <- 'LastName'",
        "fullName         <- 'ContactName'",   # the fallback for an empty first name
        "email            <- 'EmailAddress'",
        "phoneNumber      <- 'MobileNumber' | 'PhoneNumber' | 'DDINumber'",
        "sourceContactId  <- 'AccountNumber'",
        "country          <- 'POCountry' | 'SACountry'"], (8, 5, 1, 2)),
    # (a row with no first name takes it from ContactName; a landline-only
    # contact is skipped, not rejected: issue 10)
    "spreadsheet-contacts": ("AU", "not a known export: columns matched by their names", [
        "firstName        <- 'given_name'",
        "lastName         <- 'family_name'",
        "email            <- 'E-mail'",
        "phoneNumber      <- 'Mobile Number'",
        "sourceContactId  <- 'Customer No.'"], (6, 3, 2, 1)),
}


def sample(name):
    return os.path.join(SRC, "samples", name + ".csv")


def auto_yaml(input_path, country, results, rejects):
    """A pipeline with no input.columns: everything comes from the header."""
    return (
        "version: 1\nkind: invite\nname: presets\n"
        "api:\n  api_key: ${CLOUTLY_API_KEY}\n  rate_limit: 50/s\n  timeout: 5s\n  retries: 2\n"
        f"input:\n  path: {input_path}\n"
        f"validate:\n  default_country: {country}\n"
        f"invite:\n  business_id: {BUSINESS}\n  campaign_id: {CAMPAIGN}\n"
        f"output:\n  results: {results}\n  rejects: {rejects}\n"
        "state:\n  path: state.sqlite\n")


def section(stdout, start, stop):
    """The lines of `check` output between the line `start` and the first
    line starting with `stop`."""
    lines = stdout.splitlines()
    i = lines.index(start) + 1
    out = []
    while not lines[i].startswith(stop) and not lines[i].startswith("opt-outs:"):
        out.append(lines[i])
        i += 1
    return out


class Presets(E2E):
    def write_auto(self, name, country):
        with open(self.pipeline, "w") as f:
            f.write(auto_yaml(sample(name), country, self.results, self.rejects))

    def check_case(self, name):
        country, system, mapping, (rows, valid, rejected, skipped) = CASES[name]
        self.write_auto(name, country)
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn(f"\nsystem:   {system}\n", p.stdout)
        self.assertEqual(section(p.stdout, "mapping:", "rows:"), ["  " + m + G for m in mapping],
                         p.stdout)
        self.assertIn(f"\nrows:     {rows}: {valid} valid (would be sent), {rejected} rejected, "
                      f"{skipped} skipped\n", p.stdout)


def make_case(name):
    def test(self):
        self.check_case(name)
    test.__name__ = "test_check_" + name.replace("-", "_")
    return test


for _name in CASES:
    setattr(Presets, "test_check_" + _name.replace("-", "_"), make_case(_name))


class PresetErrors(E2E):
    sim_args = None

    def test_ambiguous_header_is_an_error_naming_both(self):
        with open(self.input, "w") as f:
            f.write("First Name,Email,Email Address,Phone\nJane,j@x.io,j@x.io,0412 345 678\n")
        with open(self.pipeline, "w") as f:
            f.write(auto_yaml(self.input, "AU", self.results, self.rejects))
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 4)
        self.assertIn("2 columns could be the email: 'Email' and 'Email Address'; set "
                      "input.columns.email in the pipeline to the one to use", p.stderr)
        self.assertEqual(p.stdout, "")
        # Naming the field settles it; the rest stays automatic.
        with open(self.pipeline, "w") as f:
            f.write(auto_yaml(self.input, "AU", self.results, self.rejects).replace(
                "validate:", "  columns:\n    email: \"Email Address\"\nvalidate:"))
        p = self.run_cli("check", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("  email            <- 'Email Address'\n", p.stdout)
        self.assertIn("  phoneNumber      <- 'Phone'  (from the header)\n", p.stdout)
        self.assertIn("rows:     1: 1 valid", p.stdout)

    def test_verbose_run_logs_the_mapping_once(self):
        self.write_auto_dry()
        p = self.run_cli("run", "--dry-run", "-v", "--no-progress", self.pipeline)
        self.assertRun(p, 0)
        self.assertEqual(p.stderr.count("input: looks like a Shopify customers export"), 1, p.stderr)
        self.assertIn("mapping: phoneNumber      <- 'Phone' | 'Default Address Phone'  (from the header)",
                      p.stderr)

    def write_auto_dry(self):
        with open(self.pipeline, "w") as f:
            f.write(auto_yaml(sample("shopify-customers"), "AU", self.results, self.rejects))


class PresetRuns(E2E):
    sim_args = ("--latency-ms", "5")

    def run_sample(self, name):
        country = CASES[name][0]
        with open(self.pipeline, "w") as f:
            f.write(auto_yaml(sample(name), country, self.results, self.rejects))
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertRun(p, 0)
        bodies = {}
        for r in self.sim.accepted():
            b = r["body"]
            bodies[(b["firstName"], b.get("lastName", ""))] = b
        self.assertEqual(len(bodies), CASES[name][3][1])
        self.assertEqual(len(read_csv(self.results)), CASES[name][3][0])
        return bodies

    def test_shopify_run_sends_utf8_names_plain_ids_and_phones(self):
        bodies = self.run_sample("shopify-customers")
        for first, last in [("Amélie", "Dubois"), ("Zoë", "Papadopoulos"), ("Łukasz", "Kowalski"),
                            ("José", "García"), ("Aroha", "Ngata")]:
            self.assertIn((first, last), bodies)
        amelie = bodies[("Amélie", "Dubois")]
        self.assertEqual(amelie["sourceContactId"], "7390118000003")  # Shopify's ' gone
        self.assertEqual(amelie["channel"]["phoneNumber"], "+33612345678")
        # 'Phone' empty: the address phone is the fallback.
        self.assertEqual(bodies[("Jack", "Smith")]["channel"]["phoneNumber"], "+61413222333")
        # A landline in the address phone is not texted; the email still goes.
        william = bodies[("William", "Brown")]
        self.assertNotIn("phoneNumber", william["channel"])
        self.assertEqual(william["channel"]["email"], "will.brown@example.com")

    def test_lightspeed_run_sends_macrons_and_the_mobile_first(self):
        bodies = self.run_sample("lightspeed-customers")
        self.assertIn(("Tāne", "Mahuta"), bodies)
        self.assertIn(("Chloé", "Lambert"), bodies)
        mere = bodies[("Mere", "Tūhoe")]
        # Both a landline and a mobile: the mobile column comes first.
        self.assertEqual(mere["channel"]["phoneNumber"], "+64275550142")
        self.assertEqual(mere["sourceContactId"], "0af7b240-ab83-11e7-eddc-ab3f2f3c6f02")

    def test_hubspot_run_falls_back_to_phone_number(self):
        bodies = self.run_sample("hubspot-contacts")
        self.assertEqual(bodies[("Sarah", "Johnson")]["channel"]["phoneNumber"], "+12125550123")
        self.assertEqual(bodies[("Michael", "Williams")]["channel"]["phoneNumber"], "+14155550199")
        self.assertEqual(bodies[("Björn", "Åkesson")]["channel"]["phoneNumber"], "+14155550132")
        self.assertIn(("Renée", "Lefèvre"), bodies)
        results = read_csv(self.results)
        self.assertEqual([r["first_name"] for r in results if r["first_name"] in ("Renée", "Björn")],
                         ["Renée", "Björn"])


if __name__ == "__main__":
    unittest.main()
