/* National formats through libphonenumber: see numfmt.h. No exception
 * crosses the C function. */
#include "intake/numfmt.h"

#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C" int phone_national_format(const char *e164, char *out, size_t cap)
{
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    if (!e164 || !out || !cap)
        return -1;
    try {
        /* phone.cc has installed the quiet logger before any number reaches
         * here: every e164 given comes from phone_normalise(). */
        const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        PhoneNumber pn;
        if (u->Parse(e164, "ZZ", &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
            return -1;
        std::string s;
        u->Format(pn, PhoneNumberUtil::NATIONAL, &s);
        if (s.size() + 1 > cap)
            return -1;
        memcpy(out, s.c_str(), s.size() + 1);
        return 0;
    } catch (...) {
        return -1;
    }
}
