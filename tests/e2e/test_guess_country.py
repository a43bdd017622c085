"""guess picks the country of an export's phone numbers from every region
libphonenumber knows, says why, and yields to numbers written +CC.

The property: for every region libphonenumber supports, a file of that
region's national mobile example (written in the national format, as people
there write it) makes `guess` pick that region, or, where the same digits
written the same way are just as valid a mobile of other regions (Thailand's
"081 234 5678" is South Africa's too), name it among the equally good fits.
The same file with one number written +CC makes `guess` pick the region
outright. The examples come from the library the binary links
(tests/tools/phone_examples.cc), so the test follows its metadata.
"""
import concurrent.futures
import os
import re
import subprocess
import unittest

from harness import BIN, E2E

EXAMPLES = os.path.join(os.path.dirname(BIN), "tests", "phone_examples")
COUNTRY = re.compile(r"^#   country     ([A-Z]{2}): (.*)$", re.M)


def examples():
    out = subprocess.run([EXAMPLES], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line]
    return [(r, nat, e164) for r, nat, e164, own in rows if own == r], \
           [r for r, _, _, own in rows if own != r]


class GuessCountry(E2E):
    sim_args = None

    def guess(self, path):
        env = {k: v for k, v in os.environ.items() if k != "CLOUTLY_API_KEY"}
        p = subprocess.run([BIN, "guess", path], capture_output=True, text=True, env=env,
                           timeout=60)
        m = COUNTRY.search(p.stderr)
        self.assertIsNotNone(m, p.stderr)
        return m.group(1), m.group(2), p.stdout

    def write(self, name, numbers):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("First Name,Mobile\n")
            for i, n in enumerate(numbers):
                f.write(f"Person{i},{n}\n")
        return path

    def test_every_region_is_a_candidate(self):
        regions, foreign = examples()
        self.assertGreater(len(regions), 200)
        # A few regions' example is another region's number (VA's is Italian):
        # nothing in the digits can say VA then.
        self.assertLess(len(foreign), 20)
        # Under ASan+UBSan (the sanitizer build sets CLOUTLY_SANITIZED) every fourth region:
        # the sanitizer checks the memory safety of the same code path, the
        # normal build checks the property for every region, and ~480 guess
        # processes under ASan would take most of CI's time budget.
        step = 4 if os.environ.get("CLOUTLY_SANITIZED") else 1
        regions = regions[::step]

        def one(item):
            r, nat, e164 = item
            national = self.guess(self.write(f"{r}.csv", [nat] * 3))
            with_cc = self.guess(self.write(f"{r}-cc.csv", [nat] * 3 + [e164]))
            return r, nat, national, with_cc

        wrong, ties = [], 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for r, nat, (got, why, _), (got_cc, why_cc, _) in pool.map(one, regions):
                fits = re.search(r"as good a fit: ([A-Z ]+)", why)
                tied = fits is not None and r in fits.group(1).split()
                ties += got != r and tied
                if got != r and not tied:
                    wrong.append(f"{r} {nat!r}: picked {got}: {why}")
                if got_cc != r:
                    wrong.append(f"{r} {nat!r} with +CC: picked {got_cc}: {why_cc}")
                # The choice explains itself.
                self.assertIn(f"valid {got} numbers written nationally", why)
        self.assertEqual(wrong, [], "\n".join(wrong))
        # Most regions are told apart by the digits and how they are written.
        self.assertGreater(len(regions) - ties, 150 // step)

    def test_unformatted_australian_mobiles_stay_australian(self):
        # Finland's plan takes most of these digits too; the markets the
        # product sells in win what fits both.
        nums = ["0412345678", "0423555666", "0418246810", "0433123456", "0401987654"]
        got, why, _ = self.guess(self.write("au.csv", nums))
        self.assertEqual(got, "AU", why)

    def test_thai_mobiles_are_thai_not_french(self):
        # The file: Thai mobiles written without spaces.
        got, why, yaml = self.guess(self.write("th.csv", ["0932092373", "0812345678",
                                                          "0891234567", "+66 81 234 5678"]))
        self.assertEqual(got, "TH", why)
        self.assertIn("default_country: TH", yaml)
        self.assertIn("1 are TH numbers written with their country code", why)


if __name__ == "__main__":
    unittest.main()
