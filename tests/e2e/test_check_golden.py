"""`check` on every export in samples/ against a golden output.

Each sample is checked with a pipeline that has no input.columns (everything
from the header) and the sample's country; the whole of `check`'s standard
output, with the temporary folder and the source tree written as <tmp> and
<src>, must equal tests/golden/check/<sample>.txt. A sample without a golden
file fails the test, so a new sample comes with its golden output.

To accept new output after a deliberate change, run with
CLOUTLY_UPDATE_GOLDEN=1 (ctest -R check_golden, or this file directly) and
review the diff of tests/golden/ like any other change."""
import glob
import os
import unittest

from harness import BUSINESS, CAMPAIGN, E2E, SRC

GOLDEN = os.path.join(SRC, "tests", "golden", "check")
UPDATE = os.environ.get("CLOUTLY_UPDATE_GOLDEN") == "1"

# The country of each sample's numbers written without +country.
COUNTRY = {
    "shopify-legacy-customers": "US", "square-customers-uk": "GB", "lightspeed-customers": "NZ",
    "clover-customers": "US", "hubspot-contacts": "US", "mailchimp-audience": "GB",
    "mailchimp-merge-tags": "IE", "salesforce-report": "US", "salesforce-dataloader": "US",
    "xero-contacts": "NZ", "google-contacts-2023": "IE", "outlook-contacts": "GB",
    "zoho-books-contacts": "IN", "stripe-customers": "US", "woocommerce-customers": "US",
    "woocommerce-orders": "NZ", "windows-1251-contacts": "RU",
}


class CheckGolden(E2E):
    sim_args = None

    def check(self, name):
        path = os.path.join(SRC, "samples", name + ".csv")
        with open(self.pipeline, "w") as f:
            f.write("version: 1\nkind: invite\nname: golden\n"
                    "api:\n  api_key: ${CLOUTLY_API_KEY}\n"
                    f"input:\n  path: {path}\n"
                    f"validate:\n  default_country: {COUNTRY.get(name, 'AU')}\n"
                    f"invite:\n  business_id: {BUSINESS}\n  campaign_id: {CAMPAIGN}\n"
                    f"output:\n  results: {self.results}\n  rejects: {self.rejects}\n"
                    "state:\n  path: state.sqlite\n")
        p = self.run_cli("check", self.pipeline)
        out = f"exit {p.returncode}\n" + p.stdout + ("stderr:\n" + p.stderr if p.stderr else "")
        return out.replace(self.dir, "<tmp>").replace(SRC, "<src>")

    def test_every_sample(self):
        samples = sorted(os.path.basename(f)[:-4] for f in glob.glob(os.path.join(SRC, "samples", "*.csv")))
        self.assertGreater(len(samples), 20)
        differ = []
        for name in samples:
            got = self.check(name)
            golden = os.path.join(GOLDEN, name + ".txt")
            if UPDATE:
                with open(golden, "w", encoding="utf-8") as f:
                    f.write(got)
                continue
            if not os.path.exists(golden):
                differ.append(f"{name}: no golden file {golden} (run with CLOUTLY_UPDATE_GOLDEN=1)")
                continue
            with open(golden, encoding="utf-8") as f:
                want = f.read()
            if got != want:
                differ.append(f"{name}: check output differs from {golden}:\n--- want\n{want}--- got\n{got}")
        self.assertEqual(differ, [], "\n".join(differ))


if __name__ == "__main__":
    unittest.main()
