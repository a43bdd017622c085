/*
 * send_window: us_state_rules, as data: the federal quiet hours for text
 * messages and the stricter hours some US states set, one line each with
 * the law it comes from. The README lists the same sources; when a state
 * changes its law, its line here changes and the tests in
 * tests/unit/test_window.c say what the new hours mean.
 */
#ifndef CLOUTLY_STATE_RULES_H
#define CLOUTLY_STATE_RULES_H

#include "config/send_window.h"

struct state_rule {
    const char *state;  /* USPS code, "" for the federal rule */
    const char *hours;  /* send_window.h grammar, in the recipient's local time */
    const char *source; /* the statute, for the README and for a person checking */
};

/* Every rule, the federal one first; *n gets the count. */
const struct state_rule *state_rules_table(int *n);

/* The us_state_rules window for a contact in `country` (ISO code) and
 * `state` (a USPS code, or "" when unknown): for the US the federal hours
 * with the state's on top, or with every state's on top when the state is
 * unknown (a number that could be anywhere gets the strictest hours);
 * elsewhere the federal hours alone. */
void state_rules_window(const char *country, const char *state, struct send_window *out);

#endif
