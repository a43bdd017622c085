/*
 * The phone fast path (see phone_fast.h): libphonenumber's own parsing and
 * typing steps for plain numbers, redone over the same metadata with RE2.
 *
 * Why it is the same as the library: the metadata is the collection the
 * installed library compiled in (read through the library's exported
 * metadata_get(), parsed with its own protobuf classes), checked at start
 * against the library's public answers (country code of every region, the
 * regions of every calling code); the steps below follow the library's
 * Parse() -> GetNumberType() -> GetRegionCodeForNumber() for a string of
 * ASCII digits, step for step, and stop (leaving the number to the library)
 * wherever a step could go another way: a shape with letters, "#", ";" or
 * a second "+", a region without an international prefix, a transform rule
 * this file does not expand, any number that turns out invalid. The
 * differential test (tests/phone_diff) runs every region's example numbers
 * through both on every build.
 *
 * Why it is fast: ICU builds matchers and allocates for each use (178
 * mallocs a number); RE2 matches the same short patterns with its DFA,
 * allocation-free, and the region of a shared calling code (+61 for AU, CC
 * and CX) is typed once rather than three times.
 */
#include "intake/phone_fast.h"

#include <algorithm>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <re2/re2.h>

#include <phonenumbers/phonemetadata.pb.h>

/* Exported by libphonenumber (its metadata.h is not installed): the
 * serialised PhoneMetadataCollection that PhoneNumberUtil itself loads. */
namespace i18n
{
namespace phonenumbers
{
int metadata_size();
const void *metadata_get();
} // namespace phonenumbers
} // namespace i18n

namespace cloutly_phone
{
namespace
{

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;
using Type = PhoneNumberUtil::PhoneNumberType;

/* libphonenumber's limits (PhoneNumberUtil::kMinLengthForNsn etc.). */
constexpr size_t kMinNsn = 2;
constexpr size_t kMaxNsn = 17;
constexpr size_t kMaxCc = 3;
/* More digits than any number the library can call valid, with room. */
constexpr size_t kMaxDigits = 24;

std::unique_ptr<RE2> compile(const std::string &pattern, bool *ok)
{
    if (pattern.empty())
        return nullptr;
    RE2::Options o;
    o.set_log_errors(false);
    auto re = std::make_unique<RE2>(pattern, o);
    if (!re->ok()) {
        *ok = false;
        return nullptr;
    }
    return re;
}

/* One PhoneNumberDesc: its possible lengths and its pattern. */
struct desc {
    std::vector<int> lengths; /* empty: no length data (inherits the general ones) */
    std::unique_ptr<RE2> re;  /* null: no pattern, which never matches */

    void load(const PhoneNumberDesc &d, bool *ok)
    {
        lengths.assign(d.possible_length().begin(), d.possible_length().end());
        re = compile(d.national_number_pattern(), ok);
    }
    /* MatchNationalNumber(): the pattern alone, matched whole. */
    bool pattern_matches(const std::string &nsn) const
    {
        return re && RE2::FullMatch(nsn, *re);
    }
    /* IsNumberMatchingDesc(): the lengths when there are any, then the pattern. */
    bool matches(const std::string &nsn) const
    {
        if (!lengths.empty() && std::find(lengths.begin(), lengths.end(),
                                          static_cast<int>(nsn.size())) == lengths.end())
            return false;
        return pattern_matches(nsn);
    }
};

/* One region's metadata, its patterns compiled on first use. */
struct region {
    const PhoneMetadata *m = nullptr;
    int cc = 0;
    std::string id;
    std::once_flag once;
    bool ok = true; /* false: a pattern RE2 refused; the library decides */

    desc general, premium, toll_free, shared_cost, voip, personal, pager, uan, voicemail, fixed,
        mobile;
    std::unique_ptr<RE2> idd, npfp, leading;
    int npfp_groups = 0;
    std::vector<int> local_lengths;

    void build()
    {
        general.load(m->general_desc(), &ok);
        premium.load(m->premium_rate(), &ok);
        toll_free.load(m->toll_free(), &ok);
        shared_cost.load(m->shared_cost(), &ok);
        voip.load(m->voip(), &ok);
        personal.load(m->personal_number(), &ok);
        pager.load(m->pager(), &ok);
        uan.load(m->uan(), &ok);
        voicemail.load(m->voicemail(), &ok);
        fixed.load(m->fixed_line(), &ok);
        mobile.load(m->mobile(), &ok);
        local_lengths.assign(m->general_desc().possible_length_local_only().begin(),
                             m->general_desc().possible_length_local_only().end());
        idd = compile(m->international_prefix(), &ok);
        npfp = compile(m->national_prefix_for_parsing(), &ok);
        if (npfp)
            npfp_groups = npfp->NumberOfCapturingGroups();
        if (m->has_leading_digits())
            leading = compile(m->leading_digits(), &ok);
        if (m->has_leading_digits() && !leading)
            ok = false; /* an empty leading_digits would read differently */
        if (general.lengths.empty())
            ok = false; /* TestNumberLength() needs them */
    }
    bool ready()
    {
        std::call_once(once, [this] { build(); });
        return ok;
    }

    /* GetNumberTypeHelper(), in the library's order. */
    Type type_of(const std::string &nsn) const
    {
        if (!general.matches(nsn))
            return PhoneNumberUtil::UNKNOWN;
        if (premium.matches(nsn))
            return PhoneNumberUtil::PREMIUM_RATE;
        if (toll_free.matches(nsn))
            return PhoneNumberUtil::TOLL_FREE;
        if (shared_cost.matches(nsn))
            return PhoneNumberUtil::SHARED_COST;
        if (voip.matches(nsn))
            return PhoneNumberUtil::VOIP;
        if (personal.matches(nsn))
            return PhoneNumberUtil::PERSONAL_NUMBER;
        if (pager.matches(nsn))
            return PhoneNumberUtil::PAGER;
        if (uan.matches(nsn))
            return PhoneNumberUtil::UAN;
        if (voicemail.matches(nsn))
            return PhoneNumberUtil::VOICEMAIL;
        if (fixed.matches(nsn)) {
            if (m->same_mobile_and_fixed_line_pattern() || mobile.matches(nsn))
                return PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
            return PhoneNumberUtil::FIXED_LINE;
        }
        if (!m->same_mobile_and_fixed_line_pattern() && mobile.matches(nsn))
            return PhoneNumberUtil::MOBILE;
        return PhoneNumberUtil::UNKNOWN;
    }

    enum length_verdict { POSSIBLE, LOCAL_ONLY, TOO_SHORT, INVALID_LENGTH, TOO_LONG };
    /* TestNumberLength() for the general description. */
    length_verdict test_length(const std::string &nsn) const
    {
        const std::vector<int> &l = general.lengths;
        int n = static_cast<int>(nsn.size());
        if (l[0] == -1)
            return INVALID_LENGTH;
        if (std::find(local_lengths.begin(), local_lengths.end(), n) != local_lengths.end())
            return LOCAL_ONLY;
        if (l[0] == n)
            return POSSIBLE;
        if (l[0] > n)
            return TOO_SHORT;
        if (l.back() < n)
            return TOO_LONG;
        return std::find(l.begin() + 1, l.end(), n) != l.end() ? POSSIBLE : INVALID_LENGTH;
    }
};

/* Length of the match of `re` anchored at the start of `s`, or -1:
 * RegExp::Consume() of the library. Groups 1..ngroups go to `sub`. */
long consume(const RE2 &re, const std::string &s, re2::StringPiece *sub = nullptr, int ngroups = 0)
{
    re2::StringPiece whole[4];
    re2::StringPiece *v = sub ? sub : whole;
    if (!re.Match(s, 0, s.size(), RE2::ANCHOR_START, v, 1 + ngroups))
        return -1;
    return static_cast<long>(v[0].size());
}

/* "$1" style replacement (ICU's syntax, the metadata's) of a transform rule:
 * false for anything else ("\", "$" and two digits), which the library may
 * read another way. */
bool expand(const std::string &rule, const re2::StringPiece *sub, int ngroups, std::string *out)
{
    for (size_t i = 0; i < rule.size(); i++) {
        char c = rule[i];
        if (c == '\\')
            return false;
        if (c != '$') {
            out->push_back(c);
            continue;
        }
        if (i + 1 >= rule.size() || rule[i + 1] < '0' || rule[i + 1] > '9')
            return false;
        if (i + 2 < rule.size() && rule[i + 2] >= '0' && rule[i + 2] <= '9')
            return false;
        int g = rule[i + 1] - '0';
        if (g > ngroups)
            return false;
        out->append(sub[g].data() ? sub[g].data() : "", sub[g].size());
        i++;
    }
    return true;
}

class store
{
  public:
    store()
    {
        PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        const void *bytes = i18n::phonenumbers::metadata_get();
        int size = i18n::phonenumbers::metadata_size();
        if (!bytes || size <= 0 || !coll_.ParseFromArray(bytes, size))
            return;
        for (const PhoneMetadata &m : coll_.metadata()) {
            auto r = std::make_unique<region>();
            r->m = &m;
            r->cc = m.country_code();
            r->id = m.id();
            if (r->id == "001")
                nongeo_[r->cc] = r.get();
            else
                by_id_[r->id] = r.get();
            all_.push_back(std::move(r));
        }
        /* The library's own answers, to catch a metadata we misread. */
        std::set<std::string> regions;
        u->GetSupportedRegions(&regions);
        for (const std::string &id : regions) {
            auto it = by_id_.find(id);
            if (it == by_id_.end() || it->second->cc != u->GetCountryCodeForRegion(id))
                return;
        }
        if (regions.size() != by_id_.size())
            return;
        for (int cc = 1; cc < 1000; cc++) {
            std::list<std::string> ids;
            u->GetRegionCodesForCountryCallingCode(cc, &ids);
            for (const std::string &id : ids) {
                region *r = nullptr;
                if (id == "001") {
                    auto it = nongeo_.find(cc);
                    r = it == nongeo_.end() ? nullptr : it->second;
                } else {
                    auto it = by_id_.find(id);
                    r = it == by_id_.end() ? nullptr : it->second;
                }
                if (!r || r->cc != cc)
                    return;
                by_cc_[cc].push_back(r);
            }
        }
        ok_ = true;
    }

    bool ok() const
    {
        return ok_;
    }
    region *find(const char *id) const
    {
        if (!id[0])
            return nullptr;
        auto it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : it->second;
    }
    const std::vector<region *> &of_cc(int cc) const
    {
        return by_cc_[cc];
    }
    /* The metadata Parse() switches to for calling code cc:
     * GetMetadataForRegionOrCallingCode(cc, GetRegionCodeForCountryCode(cc)). */
    region *main_of_cc(int cc) const
    {
        return by_cc_[cc].empty() ? nullptr : by_cc_[cc].front();
    }

  private:
    PhoneMetadataCollection coll_;
    std::vector<std::unique_ptr<region>> all_;
    std::unordered_map<std::string, region *> by_id_;
    std::unordered_map<int, region *> nongeo_;
    std::vector<region *> by_cc_[1000];
    bool ok_ = false;
};

/* Built once, on first use, then read-only: the metadata is the process's,
 * as it is inside libphonenumber's own singleton. */
const store &the_store()
{
    static const store s;
    return s;
}

/* ExtractCountryCode(): the shortest prefix of one to three digits that is
 * a calling code; 0 when none is (or the number starts with 0). */
int extract_cc(const store &st, const std::string &d, std::string *rest)
{
    if (d.empty() || d[0] == '0')
        return 0;
    int cc = 0;
    for (size_t i = 1; i <= kMaxCc && i <= d.size(); i++) {
        cc = cc * 10 + (d[i - 1] - '0');
        if (!st.of_cc(cc).empty()) {
            rest->assign(d, i, std::string::npos);
            return cc;
        }
    }
    return 0;
}

/* MaybeStripNationalPrefixAndCarrierCode(): true when `num` was changed.
 * *give_up when a transform rule is one expand() does not do. */
bool strip_national_prefix(const region &r, std::string *num, bool *give_up)
{
    if (num->empty() || !r.npfp)
        return false;
    const bool viable = r.general.pattern_matches(*num);
    re2::StringPiece sub[4];
    const int ng = std::min(r.npfp_groups, 2);
    long end = consume(*r.npfp, *num, sub, ng);
    if (end < 0)
        return false;
    const std::string &rule = r.m->national_prefix_transform_rule();
    /* The library's Consume() with two groups asked for fails when the
     * pattern has fewer; it then tries with one. The captured part is the
     * last group asked for. */
    if (!rule.empty() && ng >= 1 && !sub[ng].empty()) {
        std::string t;
        if (!expand(rule, sub, ng, &t)) {
            *give_up = true;
            return false;
        }
        t.append(*num, static_cast<size_t>(end), std::string::npos);
        if (viable && !r.general.pattern_matches(t))
            return false;
        *num = t;
        return true;
    }
    std::string t(*num, static_cast<size_t>(end));
    if (viable && !r.general.pattern_matches(t))
        return false;
    *num = t;
    return true;
}

} // namespace

bool fast_available()
{
    try {
        return the_store().ok();
    } catch (...) {
        return false;
    }
}

bool fast_normalise(const char *p, size_t n, const char *region_id, fast_answer *out)
{
    const store &st = the_store();
    if (!st.ok())
        return false;

    /* The shape: an optional "+" first, then digits and separators only.
     * For these, the library's ExtractPossibleNumber(), extension stripping
     * and Normalize() come down to "the digits, in order", and its
     * viability check to "three digits or more". */
    char digits[kMaxDigits];
    size_t nd = 0, i = 0;
    const bool plus = n > 0 && p[0] == '+';
    if (plus)
        i = 1;
    for (; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            if (nd == kMaxDigits)
                return false;
            digits[nd++] = c;
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return false;
        }
    }
    if (nd < 3)
        return false;
    const std::string d(digits, nd);

    region *def = st.find(region_id);
    if (def && !def->ready())
        return false;
    if (!plus && !def)
        return false; /* the library: "invalid country code" */

    /* MaybeExtractCountryCode() */
    std::string nat;
    int cc = 0;
    region *meta = nullptr;
    if (plus) {
        if (nd <= kMinNsn || !(cc = extract_cc(st, d, &nat)))
            return false;
    } else {
        if (!def->idd)
            return false; /* an empty prefix pattern would match everywhere */
        long idd = consume(*def->idd, d);
        if (idd >= 0 && static_cast<size_t>(idd) < d.size() && d[static_cast<size_t>(idd)] == '0')
            idd = -1; /* no calling code starts with 0 */
        if (idd >= 0) {
            std::string rest(d, static_cast<size_t>(idd));
            if (rest.size() <= kMinNsn || !(cc = extract_cc(st, rest, &nat)))
                return false;
        } else {
            const std::string ccs = std::to_string(def->cc);
            if (d.compare(0, ccs.size(), ccs) == 0) {
                std::string potential(d, ccs.size());
                bool give_up = false;
                strip_national_prefix(*def, &potential, &give_up);
                if (give_up)
                    return false;
                if ((!def->general.pattern_matches(d) && def->general.pattern_matches(potential)) ||
                    def->test_length(d) == region::TOO_LONG) {
                    nat = potential;
                    cc = def->cc;
                }
            }
            if (!cc) {
                /* no calling code in the number: the default region's
                 * metadata, even where it shares its code (CC with AU) */
                nat = d;
                cc = def->cc;
                meta = def;
            }
        }
    }
    if (!meta) {
        /* a calling code was read: the metadata of its main region */
        meta = st.main_of_cc(cc);
        if (!meta || !meta->ready())
            return false;
    }

    /* The rest of ParseHelper(): strip the national prefix if what is left
     * has a length the plan allows. */
    if (nat.size() < kMinNsn)
        return false;
    std::string potential = nat;
    bool give_up = false;
    strip_national_prefix(*meta, &potential, &give_up);
    if (give_up)
        return false;
    region::length_verdict v = meta->test_length(potential);
    if (v != region::TOO_SHORT && v != region::LOCAL_ONLY && v != region::INVALID_LENGTH)
        nat = potential;
    if (nat.size() < kMinNsn || nat.size() > kMaxNsn)
        return false;
    /* The library keeps the leading zeros of the national number apart and
     * puts them back in GetNationalSignificantNumber(): the same digits. */

    /* GetRegionCodeForNumber() and GetNumberType() together. */
    const std::vector<region *> &cands = st.of_cc(cc);
    region *owner = nullptr;
    Type type = PhoneNumberUtil::UNKNOWN;
    bool typed = false;
    if (cands.size() == 1) {
        owner = cands[0];
    } else {
        for (region *r : cands) {
            if (!r->ready())
                return false;
            if (r->leading) {
                if (consume(*r->leading, nat) >= 0) {
                    owner = r;
                    break;
                }
            } else if ((type = r->type_of(nat)) != PhoneNumberUtil::UNKNOWN) {
                owner = r;
                typed = true;
                break;
            }
        }
    }
    if (!owner || !owner->ready())
        return false;
    if (!typed)
        type = owner->type_of(nat);
    if (type == PhoneNumberUtil::UNKNOWN)
        return false;

    std::string e164 = "+" + std::to_string(cc) + nat;
    if (e164.size() >= sizeof out->e164)
        return false;
    memcpy(out->e164, e164.c_str(), e164.size() + 1);
    out->type = type;
    if (owner->id.size() == 2)
        memcpy(out->region, owner->id.c_str(), 3);
    else
        out->region[0] = '\0';
    return true;
}

} // namespace cloutly_phone
