"""End to end: `cloutly-pipe guess EXPORT.csv` (issue 5 item 4), the way in.

For every sample export: the YAML guess prints loads and `check` runs on it
as printed, reading every row; the system is recognised (or said not to be);
a consent column becomes a channels: policy naming it; the business id is
real when the simulator answers GET /businesses and a placeholder with the
reason when it does not. Then the documented path, guess -> check ->
run --dry-run -> run, end to end against the simulator."""
import os
import re
import unittest

from harness import BUSINESS, CAMPAIGN, E2E, SRC, read_csv

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"

# sample -> (system words on stderr or None, rows, sms consent column, email consent column)
SAMPLES = {
    "shopify-customers": ("Shopify customers", 14, "Accepts SMS Marketing", "Accepts Email Marketing"),
    "shopify-legacy-customers": ("Shopify customers (legacy layout)", 10, "Accepts Marketing", "Accepts Marketing"),
    "square-customers": ("Square customers", 24, None, "Email Subscription Status"),
    "square-customers-uk": ("Square customers", 10, None, "Email Subscription Status"),
    "lightspeed-customers": ("Lightspeed Retail (X-Series, formerly Vend) customers", 10, None, "do_not_email"),
    "clover-customers": ("Clover customers", 9, "Marketing Allowed", "Marketing Allowed"),
    "hubspot-contacts": ("HubSpot contacts", 13, None, None),
    "mailchimp-audience": ("Mailchimp audience", 8, None, None),
    "mailchimp-merge-tags": ("Mailchimp audience (merge tags)", 7, None, None),
    "salesforce-report": ("Salesforce contacts report", 7, None, "Email Opt Out"),
    "salesforce-dataloader": ("Salesforce Data Loader contacts", 6, "DONOTCALL", "HASOPTEDOUTOFEMAIL"),
    "xero-contacts": ("Xero contacts", 8, None, None),
    "spreadsheet-contacts": (None, 6, None, None),
}

COUNTRY = {
    "shopify-customers": "AU", "shopify-legacy-customers": "US", "square-customers": "AU",
    "square-customers-uk": "GB", "lightspeed-customers": "NZ", "clover-customers": "US",
    "hubspot-contacts": "US", "mailchimp-audience": "GB", "mailchimp-merge-tags": "IE",
    "salesforce-report": "US", "salesforce-dataloader": "US", "xero-contacts": "NZ",
    "spreadsheet-contacts": "AU",
}


def sample(name):
    return os.path.join(SRC, "samples", name + ".csv")


def channel_rule(yaml, channel):
    """The column of channels.<channel> in the printed YAML, or None."""
    m = re.search(r"^channels:\n((?:  .*\n)+)", yaml, re.M)
    if not m:
        return None
    rule = re.search(rf"^  {channel}:\n    column: \"([^\"]*)\"\n    (?:not_)?in: \[", m.group(1), re.M)
    return rule.group(1) if rule else None


class Guess(E2E):
    def guess(self, path, env=None):
        p = self.run_cli("guess", path, env=env)
        return p

    def save(self, text, name="guessed.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check_sample(self, name):
        system, rows, sms, email = SAMPLES[name]
        # No key: placeholders, and the analysis says how to get real ids.
        p = self.guess(sample(name), env={"CLOUTLY_API_KEY": ""})
        self.assertRun(p, 0)
        if system:
            self.assertRegex(p.stderr, rf"#   system      looks like a {re.escape(system)} export "
                                       r"\(\d+ of \d+ telltale columns\)\n")
            self.assertIn(f"# It looks like a {system} export", p.stdout)
        else:
            self.assertIn("#   system      not a known export: columns matched by their names\n",
                          p.stderr)
        self.assertIn(f"  default_country: {COUNTRY[name]} ", p.stdout)
        self.assertEqual(channel_rule(p.stdout, "sms"), sms, p.stdout)
        self.assertEqual(channel_rule(p.stdout, "email"), email, p.stdout)
        self.assertIn(f"  business_id: {PLACEHOLDER}   # REPLACE", p.stdout)
        self.assertIn(f"  campaign_id: {PLACEHOLDER}   # REPLACE", p.stdout)
        self.assertIn("set CLOUTLY_API_KEY and run guess again", p.stdout)
        # Every stderr line is a comment: `guess x.csv > p.yaml 2>&1` still loads.
        self.assertTrue(all(line.startswith("#") for line in p.stderr.splitlines()), p.stderr)
        self.assertIn("#   as they would be sent:\n#     row ", p.stderr)

        # The YAML as printed loads and check reads every row of the export,
        # then refuses the placeholders as run would, with their place.
        path = self.save(p.stdout)
        c = self.run_cli("check", path)
        self.assertRun(c, 2)
        self.assertRegex(c.stderr, r"guessed\.yaml:\d+:\d+: invite\.business_id is still the "
                                   r"placeholder 'guess' wrote")
        self.assertRegex(c.stdout, rf"\nrows:     {rows}: \d+ valid")
        # With real ids in, check passes.
        path = self.save(p.stdout.replace(f"business_id: {PLACEHOLDER}", f"business_id: {BUSINESS}")
                         .replace(f"campaign_id: {PLACEHOLDER}", f"campaign_id: {CAMPAIGN}"))
        c = self.run_cli("check", path)
        self.assertRun(c, 0)
        self.assertIn(f"input:    {sample(name)} (", c.stdout)
        self.assertRegex(c.stdout, rf"\nrows:     {rows}: \d+ valid")
        if system:
            self.assertIn(f"\nsystem:   looks like a {system} export", c.stdout)
        # So does the stream with the analysis in front of it.
        both = self.save(p.stderr + p.stdout, "both.yaml")
        self.assertRun(self.run_cli("check", both), 2)


def make_case(name):
    def test(self):
        self.check_sample(name)
    return test


for _name in SAMPLES:
    setattr(Guess, "test_guess_" + _name.replace("-", "_"), make_case(_name))


class GuessBusinesses(E2E):
    # These pipelines keep the default quiet hours (09:00-20:00 in the
    # recipient's zone): run them at 14:00 in Sydney, 16:00 in Auckland.
    clock = "2026-12-02T03:00:00Z"
    sim_args = ("--latency-ms", "5")

    def test_real_business_ids_when_the_api_answers(self):
        p = self.run_cli("guess", sample("square-customers"))
        self.assertRun(p, 0)
        self.assertIn(f"  business_id: {BUSINESS}   # Main Street Cafe (from GET /businesses)\n",
                      p.stdout)
        self.assertIn("  #   5ef7b45b-2fd2-4719-88fd-96ef62f9d4a4  Bondi\n", p.stdout)
        self.assertIn("  #   634d8ed1-11fd-413d-a9a6-d6b8ba0c95a5  Surry Hills\n", p.stdout)
        self.assertIn(f"  campaign_id: {PLACEHOLDER}   # REPLACE", p.stdout)
        self.assertIn(f"#   business    {BUSINESS} Main Street Cafe (from GET /businesses", p.stderr)
        self.assertEqual(len(self.sim.requests("/api/v1/businesses")), 1)
        self.assertEqual(self.sim.requests(), [])  # nothing was sent

    def test_placeholder_and_the_reason_when_the_key_is_refused(self):
        p = self.run_cli("guess", sample("square-customers"), env={"CLOUTLY_API_KEY": "wrong-key"})
        self.assertRun(p, 0)
        self.assertIn(f"  business_id: {PLACEHOLDER}   # REPLACE", p.stdout)
        self.assertRegex(p.stdout, r"  # could not list the businesses: .*401")
        self.assertNotIn("wrong-key", p.stdout + p.stderr)

    def test_placeholder_when_the_api_is_unreachable(self):
        p = self.run_cli("guess", sample("square-customers"),
                         base_url="http://127.0.0.1:9/api/v1")
        self.assertRun(p, 0)
        self.assertIn(f"  business_id: {PLACEHOLDER}   # REPLACE", p.stdout)
        self.assertIn("  # could not list the businesses: ", p.stdout)

    def test_the_way_in_guess_check_dry_run_run(self):
        """The README's path, from an export to invites at the simulator."""
        p = self.run_cli("guess", sample("lightspeed-customers"))
        self.assertRun(p, 0)
        yaml = p.stdout.replace(f"campaign_id: {PLACEHOLDER}", f"campaign_id: {CAMPAIGN}")
        path = os.path.join(self.dir, "lightspeed.yaml")
        with open(path, "w") as f:
            f.write(yaml)
        self.assertRun(self.run_cli("check", path), 0)
        dry = self.run_cli("run", "--dry-run", "--no-progress", path)
        self.assertRun(dry, 0)
        self.assertEqual(self.sim.requests(), [])
        run = self.run_cli("run", "--no-progress", path)
        self.assertRun(run, 0)
        results = read_csv(next(os.path.join(self.dir, "out", f)
                                for f in sorted(os.listdir(os.path.join(self.dir, "out")))
                                if f.endswith("-results.csv")))
        self.assertEqual(len(results), 10)
        sent = [r for r in results if r["status"] == "sent"]
        self.assertTrue(sent)
        bodies = [r["body"] for r in self.sim.accepted()]
        self.assertEqual(len(bodies), len(sent))
        self.assertTrue(all(b["businessId"] == BUSINESS and b["campaignId"] == CAMPAIGN
                            for b in bodies))
        self.assertIn("Tāne", [b["firstName"] for b in bodies])


# A three-store chain: the account's businesses, and the names its POS
# writes in the export's Location column (one with other punctuation, one in
# lower case, one misspelt).
STORES = {
    "11111111-1111-4111-8111-111111111111": ("Brew Bros Bondi", "Brew Bros - Bondi"),
    "22222222-2222-4222-8222-222222222222": ("Brew Bros Newtown", "brew bros newtown"),
    "33333333-3333-4333-8333-333333333333": ("Brew Bros Manly", "Brew Bros Manley"),
}
HQ = "44444444-4444-4444-8444-444444444444"


def square_with_locations(path, extra=None):
    """samples/square-customers.csv as a multi-location Square account
    exports it: a Location column, the stores in turn."""
    import csv
    with open(sample("square-customers"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    stores = [written for _, written in STORES.values()] + (extra or [])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(rows[0] + ["Location"])
        for i, row in enumerate(rows[1:]):
            w.writerow(row + [stores[i % len(stores)]])
    cid = rows[0].index("Square Customer ID")
    return {row[cid]: stores[i % len(stores)] for i, row in enumerate(rows[1:])}


class GuessStores(E2E):
    """Issue 11 item 4: guess on a multi-location export maps its store
    column to the account's businesses, says which are not exact, and the
    pipeline it writes sends each row to its store's business."""
    clock = "2026-12-02T03:00:00Z"
    sim_args = tuple(a for bid, (name, _) in STORES.items() for a in ("--business", f"{bid}:{name}")) + (
        "--business", f"{HQ}:Brew Bros HQ", "--latency-ms", "5")

    def test_each_store_mapped_to_its_business_and_run_sends_there(self):
        store_of_row = square_with_locations(self.input)
        p = self.run_cli("guess", self.input)
        self.assertRun(p, 0)
        self.assertIn('    businessId: "Location"   # the row\'s store', p.stdout)
        self.assertIn("  business_map:\n", p.stdout)
        self.assertIn('    "Brew Bros - Bondi": 11111111-1111-4111-8111-111111111111   # 8 rows: '
                      'Brew Bros Bondi\n', p.stdout)
        self.assertIn('    "brew bros newtown": 22222222-2222-4222-8222-222222222222   # 8 rows: '
                      'Brew Bros Newtown\n', p.stdout)
        # The misspelt store: its near match, and a TODO saying it is not exact.
        self.assertIn('    "Brew Bros Manley": 33333333-3333-4333-8333-333333333333   # 8 rows. '
                      'TODO: not an exact name: the nearest business is Brew Bros Manly', p.stdout)
        self.assertNotIn("business_id:", p.stdout.split("\ninvite:\n")[1].split("\noutput:")[0]
                         .replace("{business_id:", ""))
        self.assertIn('#     "Brew Bros Manley" (8 rows) -> 33333333-3333-4333-8333-333333333333 '
                      'Brew Bros Manly (not an exact name: check it)\n', p.stderr)
        self.assertEqual(len(self.sim.requests("/api/v1/businesses")), 1)

        path = os.path.join(self.dir, "stores.yaml")
        with open(path, "w") as f:
            f.write(p.stdout.replace(f"campaign_id: {PLACEHOLDER}", f"campaign_id: {CAMPAIGN}"))
        self.assertRun(self.run_cli("check", path), 0)
        run = self.run_cli("run", "--no-progress", path)
        self.assertRun(run, 0)
        results = read_csv(next(os.path.join(self.dir, "out", f)
                                for f in sorted(os.listdir(os.path.join(self.dir, "out")))
                                if f.endswith("-results.csv")))
        sent = {r["source_contact_id"]: r for r in results if r["status"] == "sent"}
        self.assertGreaterEqual(len(sent), 15)
        want = {written: bid for bid, (_, written) in STORES.items()}
        bodies = [r["body"] for r in self.sim.accepted()]
        self.assertEqual(len(bodies), len(sent))
        for cid, r in sent.items():
            self.assertEqual(r["business_id"], want[store_of_row[cid]], cid)
        for b in bodies:
            self.assertEqual(b["businessId"], want[store_of_row[b["sourceContactId"]]], b)
        # Every store got its rows, at its own business, and HQ none.
        by_business = {}
        for b in bodies:
            by_business[b["businessId"]] = by_business.get(b["businessId"], 0) + 1
        self.assertEqual(set(by_business), set(STORES))
        self.assertEqual(sum(by_business.values()), len(sent))
        self.assertTrue(all(b["campaignId"] == CAMPAIGN for b in bodies))

    def test_unknown_store_is_a_todo_and_its_rows_are_refused(self):
        store_of_row = square_with_locations(self.input, extra=["Parramatta"])
        p = self.run_cli("guess", self.input)
        self.assertRun(p, 0)
        self.assertRegex(p.stdout, r'\n    # "Parramatta": 0{8}-0{4}-0{4}-0{4}-0{12}   # 6 rows\. '
                                   r'TODO: no business is named like this store')
        self.assertIn('#     "Parramatta" (6 rows) -> no business is named like it', p.stderr)
        path = os.path.join(self.dir, "stores.yaml")
        with open(path, "w") as f:
            f.write(p.stdout.replace(f"campaign_id: {PLACEHOLDER}", f"campaign_id: {CAMPAIGN}"))
        c = self.run_cli("check", path)
        self.assertRun(c, 0)
        self.assertIn('unmapped locations (add them to invite.business_map):\n  "Parramatta"  ',
                      c.stdout)
        self.assertTrue([r for r, s in store_of_row.items() if s == "Parramatta"])

    def test_offline_lists_the_stores_with_ids_to_fill_in(self):
        square_with_locations(self.input)
        p = self.run_cli("guess", self.input, env={"CLOUTLY_API_KEY": ""})
        self.assertRun(p, 0)
        for _, written in STORES.values():
            self.assertIn(f'    "{written}": {PLACEHOLDER}   # 8 rows: REPLACE with the store\'s '
                          'business id\n', p.stdout)
        self.assertEqual(self.sim.requests("/api/v1/businesses"), [])
        # check refuses the placeholders until they are filled in, naming the store.
        path = os.path.join(self.dir, "stores.yaml")
        with open(path, "w") as f:
            f.write(p.stdout.replace(f"campaign_id: {PLACEHOLDER}", f"campaign_id: {CAMPAIGN}"))
        c = self.run_cli("check", path)
        self.assertRun(c, 2)
        self.assertRegex(c.stderr, r"stores\.yaml:\d+:\d+: invite\.business_map 'Brew Bros - Bondi' "
                                   r"is still the placeholder 'guess' wrote")


class GuessErrors(E2E):
    sim_args = None

    def test_usage(self):
        p = self.run_cli("guess")
        self.assertRun(p, 2)
        self.assertIn("missing EXPORT.csv", p.stderr)
        p = self.run_cli("guess", "--help")
        self.assertRun(p, 0)
        self.assertIn("usage: cloutly-pipe guess EXPORT.csv", p.stdout)
        p = self.run_cli("guess", "-")
        self.assertRun(p, 2)
        self.assertIn("save the export first", p.stderr)
        p = self.run_cli("--help")
        self.assertIn("  guess       sniff an export and print a starter pipeline\n", p.stdout)
        self.assertNotIn("(coming)", p.stdout)

    def test_missing_file(self):
        p = self.run_cli("guess", os.path.join(self.dir, "nope.csv"))
        self.assertRun(p, 4)
        self.assertEqual(p.stdout, "")

    def test_unmappable_header_still_prints_a_pipeline(self):
        with open(self.input, "w") as f:
            f.write("Colour,Size\nred,XL\n")
        p = self.run_cli("guess", self.input)
        self.assertRun(p, 4)
        self.assertIn("no first-name column found", p.stderr)
        self.assertIn("    # firstName: \"\"   # REPLACE", p.stdout)
        self.assertIn("    # email: \"\"       # REPLACE", p.stdout)
        # It loads; check then says what is missing.
        path = os.path.join(self.dir, "p.yaml")
        with open(path, "w") as f:
            f.write(p.stdout)
        c = self.run_cli("check", path)
        self.assertRun(c, 4)
        self.assertIn("no first-name column found", c.stderr)

    def test_ambiguous_header_written_out_for_review(self):
        with open(self.input, "w") as f:
            f.write("First Name,Email,Email Address,Mobile\nJane,j@x.io,,0412 345 678\n")
        p = self.run_cli("guess", self.input)
        self.assertRun(p, 0)
        self.assertIn('    email: ["Email", "Email Address"]   # REVIEW: 2 columns look like the '
                      'email; keep the right one\n', p.stdout)


if __name__ == "__main__":
    unittest.main()
