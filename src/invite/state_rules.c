/* The us_state_rules table: see state_rules.h. */
#include "invite/state_rules.h"

#include <string.h>

/* Hours a marketing text may reach a person, local time. Checked against
 * the statutes cited on 2026-12-01; not legal advice (README: "Quiet
 * hours"). Texas is the only one with different hours on one day. */
static const struct state_rule rules[] = {
    {"", "08:00-21:00",
     "47 CFR 64.1200(c)(1) (TCPA: no solicitation before 8 a.m. or after 9 p.m.)"},
    {"CT", "09:00-20:00", "Conn. Gen. Stat. 42-288a(c), as amended by Public Act 23-98"},
    {"FL", "08:00-20:00", "Fla. Stat. 501.616(6)(a) (Florida Telephone Solicitation Act)"},
    {"MD", "08:00-20:00", "Md. Code, Com. Law 14-4503 (Stop the Spam Calls Act of 2023)"},
    {"OK", "08:00-20:00", "Okla. Stat. tit. 15, 775C.4 (Telephone Solicitation Act of 2022)"},
    {"TX", "mon-sat 09:00-21:00, sun 12:00-21:00", "Tex. Bus. & Com. Code 301.051"},
    {"WA", "08:00-20:00", "RCW 80.36.390 (telephone solicitation)"},
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
