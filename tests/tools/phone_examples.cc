/*
 * Prints libphonenumber's own example numbers, one region a line:
 * "REGION<TAB>national mobile example<TAB>the same in E.164<TAB>the region
 * the library says that number belongs to" (for a few regions that share a
 * plan, the example is another region's number: VA's is Italian). The guess
 * property test (tests/e2e/test_guess_country.py) writes a file of each
 * region's numbers and expects `guess` to name that region: the examples
 * come from the library the binary links, so the test follows its metadata.
 * Regions with no mobile example are left out.
 */
#include <iostream>
#include <set>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

int main()
{
    PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
    u->SetLogger(new i18n::phonenumbers::NullLogger());
    std::set<std::string> regions;
    u->GetSupportedRegions(&regions);
    for (const std::string &r : regions) {
        PhoneNumber pn;
        if (!u->GetExampleNumberForType(r, PhoneNumberUtil::MOBILE, &pn))
            continue;
        std::string national, e164, own;
        u->Format(pn, PhoneNumberUtil::NATIONAL, &national);
        u->Format(pn, PhoneNumberUtil::E164, &e164);
        u->GetRegionCodeForNumber(pn, &own);
        std::cout << r << '\t' << national << '\t' << e164 << '\t' << own << '\n';
    }
    return 0;
}
