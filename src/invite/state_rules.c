/* The us_state_rules table: see state_rules.h. */
#include "invite/state_rules.h"

#include <string.h>

/* Hours a marketing text may reach a person, local time. Not legal advice
 * (README: "Quiet hours"). Each line's source says how far it was checked
 * on 2026-12-01:
 *  - "verified": the statute or regulation text itself was read;
 *  - "secondary": only summaries were read (the Drop Cowboy "State Calling
 *    Restrictions Guide", dropcowboy.com/state-compliance, updated
 *    2025-11-01; for OK and WA also a VICIdial forum notice of HB 3168 and
 *    HB 1497, 2022; for LA a dnc.com page citing PSC General Order
 *    R-29617); the statute named is where the rule is said to be, and
 *    "citation from memory" marks a name no source here gave.
 * Where the sources disagree or were cut short (Rhode Island, Pennsylvania's
 * weekend hours) there is no line: the federal hours apply. Days a state
 * closes entirely (Sundays) are left out of its hours; state holidays are
 * not modelled (README). A stricter line only ever narrows the window. */
static const struct state_rule rules[] = {
    {"", "08:00-21:00",
     "47 CFR 64.1200(c)(1) (TCPA: no solicitation before 8 a.m. or after 9 p.m. at the "
     "called party's location); verified"},
    {"AL", "mon-sat 08:00-20:00",
     "Alabama PSC telephone solicitation rules (no Sundays or holidays; said to bind "
     "telephone utilities only: kept, as the stricter reading); secondary, no citation "
     "checked"},
    {"CT", "09:00-20:00",
     "Conn. Gen. Stat. 42-288a(c), as amended by Public Act 23-98; secondary (the act "
     "was read, not the hours clause)"},
    {"FL", "08:00-20:00",
     "Fla. Stat. 501.616(6)(a) (Florida Telephone Solicitation Act, SB 1120 of 2021: "
     "'before 8 a.m. or after 8 p.m. local time at the called person's location'); verified"},
    {"KY", "10:00-21:00",
     "Ky. Rev. Stat. 367.46955(15) (citation from memory); secondary, not checked"},
    {"LA", "mon-sat 08:00-20:00",
     "La. R.S. 45:811 and PSC General Order R-29617 (no Sundays or holidays); secondary, "
     "statute not checked"},
    {"MA", "08:00-20:00",
     "Mass. Gen. Laws ch. 159C, 3 (citation from memory); secondary, not checked"},
    {"MD", "08:00-20:00",
     "Md. Code, Com. Law 14-4501 ff. (Stop the Spam Calls Act of 2023); secondary, "
     "statute not checked"},
    {"MI", "09:00-21:00",
     "Mich. Comp. Laws 445.111b (citation from memory); secondary, not checked"},
    {"MN", "09:00-21:00", "Minn. Stat. 325E.27 (citation from memory); secondary, not checked"},
    {"MS", "mon-sat 08:00-20:00",
     "Mississippi telephone solicitation law (no Sundays); secondary, no citation checked"},
    {"NM", "09:00-21:00", "N.M. Stat. 57-12-22 (citation from memory); secondary, not checked"},
    {"NV", "09:00-20:00", "Nev. Rev. Stat. 228.590 (citation from memory); secondary, not checked"},
    {"OK", "08:00-20:00",
     "Okla. Stat. tit. 15, 775C.4 (Telephone Solicitation Act of 2022, HB 3168); "
     "secondary, statute not checked"},
    {"TX", "mon-sat 09:00-21:00, sun 12:00-21:00",
     "Tex. Bus. & Com. Code 301.051; not verified (the statute's text was not found; "
     "hours as commonly cited)"},
    {"WA", "08:00-20:00",
     "RCW 80.36.390 (as amended by HB 1497 of 2022); secondary, statute not checked"},
};

const struct state_rule *state_rules_table(int *n)
{
    *n = (int)(sizeof rules / sizeof *rules);
    return rules;
}

static void apply(const struct state_rule *r, struct send_window *out)
{
    struct send_window w;
    char why[160];
    /* The table is tested to parse (test_window.c): a line that did not
     * would be skipped rather than open the window wider. */
    if (send_window_parse(r->hours, &w, why, sizeof why) == 0)
        send_window_intersect(out, &w);
}

void state_rules_window(const char *country, const char *state, struct send_window *out)
{
    int n;
    const struct state_rule *t = state_rules_table(&n);
    send_window_every_day(out, 0, 1440);
    apply(&t[0], out);
    if (strcmp(country, "US") != 0)
        return;
    for (int i = 1; i < n; i++)
        if (!*state || strcmp(state, t[i].state) == 0)
            apply(&t[i], out);
}
