/* The starter pipeline of `guess`: see starter.h. */
#include "guess/starter.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- deciding ------------------------------------------------------------ */

/* The pipeline's name from the file's: "Shopify Customers (2).csv" ->
 * "shopify-customers-2"; it goes into file names, so [a-z0-9._-] only. */
static void name_from_path(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base), j = 0;
    for (size_t i = 0; i < len && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)base[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
            out[j++] = (char)c;
        else if (j && out[j - 1] != '-')
            out[j++] = '-';
    }
    while (j && out[j - 1] == '-')
        j--;
    out[j] = '\0';
    if (!j)
        snprintf(out, cap, "import");
}

int starter_init(struct starter *s, const struct guess *g, const char *path, struct cp_error *err)
{
    char abs[PATH_MAX];
    memset(s, 0, sizeof *s);
    s->g = g;
    if (!realpath(path, abs) || !(s->input_path = strdup(abs)))
        return cp_fail(err, CP_EXIT_INPUT, "'%s': cannot make the path absolute", path);
    name_from_path(path, s->name, sizeof s->name);
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        if (f == MAP_BUSINESS_ID)
            continue;
        memcpy(s->cols[f], g->pm.cols[f], g->pm.n[f] * sizeof *s->cols[f]);
        s->n[f] = g->pm.n[f];
    }
    if (g->location.col >= 0) {
        s->cols[MAP_BUSINESS_ID][0] = g->location.col;
        s->n[MAP_BUSINESS_ID] = 1;
    }
    /* A column of US states is no country column: "AR" is not Argentina. */
    if (g->country_column_states)
        s->n[MAP_COUNTRY] = 0;
    /* A full name is only used without a first-name column. */
    if (s->n[MAP_FIRST_NAME])
        s->n[MAP_FULL_NAME] = 0;
    /* A rule for a channel the export has no column for would only confuse. */
    static const enum map_field channel_field[PRESET_CHANNELS] = {
        [PRESET_SMS] = MAP_PHONE, [PRESET_EMAIL] = MAP_EMAIL};
    for (int c = 0; c < PRESET_CHANNELS; c++)
        if (g->pm.consent[c].col >= 0 && s->n[channel_field[c]])
            s->consent[c] = &g->pm.consent[c];
    return 0;
}

void starter_release(struct starter *s)
{
    for (size_t i = 0; i < s->n_biz; i++) {
        free(s->biz[i].id);
        free(s->biz[i].name);
    }
    free(s->input_path);
    memset(s, 0, sizeof *s);
}

int starter_add_business(struct starter *s, const char *id, const char *name)
{
    if (s->n_biz == STARTER_MAX_BUSINESSES)
        return 0;
    struct starter_business *b = &s->biz[s->n_biz];
    b->id = strdup(id);
    b->name = strdup(name);
    if (!b->id || !b->name) {
        free(b->id);
        free(b->name);
        return -1;
    }
    s->n_biz++;
    return 0;
}

int starter_maps_stores(const struct starter *s)
{
    return s->n[MAP_BUSINESS_ID] > 0;
}

void starter_store_match(const struct starter *s, size_t i, struct location_match *m)
{
    const char *ids[STARTER_MAX_BUSINESSES], *names[STARTER_MAX_BUSINESSES];
    for (size_t k = 0; k < s->n_biz; k++) {
        ids[k] = s->biz[k].id;
        names[k] = s->biz[k].name;
    }
    location_match(s->g->location.values[i].value, ids, names, s->n_biz, m);
}

/* The business id the pipeline maps store `i` to: a match's, the
 * placeholder when there is no account to match against, NULL when the
 * store is left to a person (no match, or several). */
static const char *store_target(const struct starter *s, size_t i)
{
    struct location_match m;
    if (!s->n_biz)
        return STARTER_PLACEHOLDER_ID;
    starter_store_match(s, i, &m);
    return m.kind == LOCATION_EXACT || m.kind == LOCATION_NEAR ? s->biz[m.best].id : NULL;
}

/* How many stores the pipeline maps. */
static size_t stores_mapped(const struct starter *s)
{
    size_t n = 0;
    for (size_t i = 0; starter_maps_stores(s) && i < s->g->location.n; i++)
        n += store_target(s, i) != NULL;
    return n;
}

/* With a store column mapped, a single business_id only serves rows with no
 * store; none is written then (their rows are refused, and said so). */
static int single_business(const struct starter *s)
{
    return !stores_mapped(s);
}

/* ---- in memory ----------------------------------------------------------- */

/* A column as input.columns names it: "Phone Number#2" for a repeated name. */
static const char *label(const struct starter *s, int col, char *buf, size_t cap)
{
    presets_column_label((const char *const *)s->g->header, s->g->n, (size_t)col, buf, cap);
    return buf;
}

static char **strv(const char *const *names, size_t n)
{
    char **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        if (!(v[i] = strdup(names[i]))) {
            while (i--)
                free(v[i]);
            free(v);
            return NULL;
        }
    return v;
}

static struct where_rule *consent_rule(const struct starter *s, const struct preset_consent *c)
{
    size_t n = 0;
    while (c->values[n])
        n++;
    struct where_rule *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->column = strdup(s->g->header[c->col]);
    w->in = strv(c->values, n);
    w->n_in = n;
    if (!w->column || !w->in) {
        free(w->column);
        free(w->in);
        free(w);
        return NULL;
    }
    return w;
}

int starter_pipeline(const struct starter *s, time_t now, struct pipeline *p, struct cp_error *err)
{
    if (pipeline_defaults(PIPELINE_INVITE, s->name, now, p, err) < 0)
        return -1;
    p->input.path = strdup(s->input_path);
    p->input.delimiter = s->g->delimiter;
    int ok = p->input.path != NULL;
    for (int f = 0; f < MAP_FIELD_COUNT && ok; f++) {
        const char *names[PRESET_MAX_COLS];
        char labels[PRESET_MAX_COLS][300];
        if (!s->n[f])
            continue;
        for (size_t k = 0; k < s->n[f]; k++)
            names[k] = label(s, s->cols[f][k], labels[k], sizeof labels[k]);
        ok = (p->input.columns[f].names = strv(names, s->n[f])) != NULL;
        p->input.columns[f].n = ok ? s->n[f] : 0;
    }
    if (ok && s->consent[PRESET_SMS])
        ok = (p->channels.sms = consent_rule(s, s->consent[PRESET_SMS])) != NULL;
    if (ok && s->consent[PRESET_EMAIL])
        ok = (p->channels.email = consent_rule(s, s->consent[PRESET_EMAIL])) != NULL;
    memcpy(p->validate.default_country, s->g->country, sizeof p->validate.default_country);
    size_t n_map = stores_mapped(s);
    if (ok && n_map) {
        ok = (p->invite.business_map = calloc(n_map, sizeof *p->invite.business_map)) != NULL;
        for (size_t i = 0; ok && i < s->g->location.n; i++) {
            const char *id = store_target(s, i);
            if (!id)
                continue;
            struct business_map_entry *e = &p->invite.business_map[p->invite.n_business_map++];
            e->value = strdup(s->g->location.values[i].value);
            e->business_id = strdup(id);
            ok = e->value && e->business_id;
        }
    }
    if (single_business(s))
        p->invite.business_id =
            strdup(s->n_biz && !starter_maps_stores(s) ? s->biz[0].id : STARTER_PLACEHOLDER_ID);
    p->invite.campaign_id = strdup(STARTER_PLACEHOLDER_ID);
    p->invite.invite_delay_days = 1;
    if (!ok || (single_business(s) && !p->invite.business_id) || !p->invite.campaign_id) {
        pipeline_release(p);
        return cp_fail(err, CP_EXIT_USAGE, "out of memory");
    }
    return 0;
}

/* ---- as YAML ------------------------------------------------------------- */

/* A YAML double-quoted scalar: any column name survives the trip. */
static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* Text inside a comment: a newline would end it and start YAML. */
static void put_comment_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
}

static void put_list(FILE *out, const struct starter *s, enum map_field f)
{
    char buf[300];
    if (s->n[f] == 1) {
        put_quoted(out, label(s, s->cols[f][0], buf, sizeof buf));
        return;
    }
    fputc('[', out);
    for (size_t k = 0; k < s->n[f]; k++) {
        if (k)
            fputs(", ", out);
        put_quoted(out, label(s, s->cols[f][k], buf, sizeof buf));
    }
    fputc(']', out);
}

static void write_head(const struct starter *s, FILE *out)
{
    char sys[256];
    const struct guess *g = s->g;
    presets_describe(g->pm.system, g->pm.marks_found, g->pm.marks_total, sys, sizeof sys);
    fputs("# Starter pipeline written by `cloutly-pipe guess` for\n#   ", out);
    put_comment_text(out, s->input_path);
    fprintf(out, "\n# It %s;\n", g->pm.system ? sys : "is not an export the presets know");
    char delim[4] = {'\'', g->delimiter, '\'', 0};
    fprintf(out, "# read as %s, delimiter %s; %ld data row%s looked at.\n", g->encoding,
            g->delimiter == '\t' ? "tab" : delim, g->rows, g->rows == 1 ? "" : "s");
    if (g->problem[0]) {
        fputs("# WARNING: reading stopped: ", out);
        put_comment_text(out, g->problem);
        fputs("\n#   check and run refuse the file until that is fixed.\n", out);
    }
    fputs("#\n"
          "# Next: replace the ids marked REPLACE below, then\n"
          "#   cloutly-pipe check THIS.yaml            every row checked, no network\n"
          "#   cloutly-pipe run THIS.yaml --dry-run    results file, nothing sent\n"
          "#   cloutly-pipe run THIS.yaml              sends the invites\n",
          out);
    /* Quoted: a file called null.csv must not name its pipeline null. */
    fprintf(out, "version: 1\nkind: invite\nname: \"%s\"\n\n", s->name);
    fputs("api:\n"
          "  api_key: ${CLOUTLY_API_KEY}      # or api_key_file: PATH (mode 0600)\n"
          "  rate_limit: 100/min              # the vendor's documented limit\n\n",
          out);
}

static const char *const field_note[MAP_FIELD_COUNT] = {
    [MAP_FULL_NAME] = "split into first and last name",
    [MAP_PHONE] = "per row the first filled: mobile first",
    [MAP_SOURCE_CONTACT_ID] = "the system's own id for the customer",
    [MAP_COUNTRY] = "the row's country, for its phone number",
    [MAP_TIMEZONE] = "the row's time zone, for the send window",
    [MAP_BUSINESS_ID] = "the row's store: invite.business_map says its business",
};

static void write_columns(const struct starter *s, FILE *out)
{
    const struct preset_match *pm = &s->g->pm;
    fputs("  # Found from the header. A list means: per row, the first non-empty.\n"
          "  columns:\n",
          out);
    for (int f = 0; f < MAP_FIELD_COUNT; f++) {
        if (!s->n[f])
            continue;
        fprintf(out, "    %s: ", map_field_key[f]);
        put_list(out, s, (enum map_field)f);
        if (pm->n_clash[f])
            fprintf(out, "   # REVIEW: %zu columns look like the %s; keep the right one",
                    pm->n_clash[f], map_field_key[f]);
        else if (field_note[f])
            fprintf(out, "   # %s", field_note[f]);
        fputc('\n', out);
    }
    if (!s->n[MAP_FIRST_NAME] && !s->n[MAP_FULL_NAME])
        fputs("    # firstName: \"\"   # REPLACE: no column looks like a first name; name it\n",
              out);
    if (!s->n[MAP_EMAIL] && !s->n[MAP_PHONE])
        fputs("    # email: \"\"       # REPLACE: no email or phone column found; name one\n", out);
}

static void write_input(const struct starter *s, FILE *out)
{
    fputs("input:\n  path: ", out);
    put_quoted(out, s->input_path);
    fprintf(out, "\n  encoding: auto                   # read as %s today%s\n", s->g->encoding,
            s->g->encoding_unsure ? " (a guess from little text: if names look wrong, name "
                                    "the file's encoding here)"
                                  : "");
    if (s->g->delimiter == '\t')
        fputs("  delimiter: tab\n", out);
    else
        fprintf(out, "  delimiter: \"%c\"\n", s->g->delimiter);
    write_columns(s, out);
    fputc('\n', out);
}

/* The export's own refusal marks, which check and run obey: written out so
 * the person sees what will not be sent and why, and can turn it off. */
static void write_optouts(const struct starter *s, FILE *out)
{
    const struct preset_match *pm = &s->g->pm;
    if (!pm->n_optout && !pm->n_unknown_consent)
        return;
    for (size_t i = 0; i < pm->n_optout; i++) {
        const struct preset_optout *o = &pm->optout[i];
        unsigned both = (1u << PRESET_SMS) | (1u << PRESET_EMAIL);
        const char *drop = o->channels == both                   ? "not invited"
                           : o->channels == (1u << PRESET_EMAIL) ? "email not used"
                                                                 : "phone not used";
        fputs("  # opt-out: ", out);
        put_comment_text(out, s->g->header[o->col]);
        if (o->kind == OPTOUT_LIST)
            fprintf(out, ": the file is %s: %s\n", o->what,
                    o->channels == both ? "no one in it is invited" : "none of its emails is used");
        else if (o->kind == OPTOUT_FLAG)
            fprintf(out, ": a row marked yes/true/1 is %s\n", drop);
        else
            fprintf(out, ": a row that says unsubscribed, bounced, cleaned, opted out... is %s\n",
                    drop);
    }
    for (size_t i = 0; i < pm->n_unknown_consent; i++) {
        fputs("  # WARNING: ", out);
        put_comment_text(out, s->g->header[pm->unknown_consent[i]]);
        fputs(" looks like consent but is not understood: it is ignored\n"
              "  #   unless you add a channels: rule for it\n",
              out);
    }
    if (pm->n_optout)
        fputs("  honour_opt_outs: true            # false sends to them anyway\n", out);
}

static void write_validate(const struct starter *s, FILE *out)
{
    fputs("validate:\n", out);
    if (s->g->country[0]) {
        fprintf(out, "  default_country: %s              # ", s->g->country);
        put_comment_text(out, s->g->country_why);
        fputc('\n', out);
    } else {
        fputs("  # default_country: AU            # REPLACE and uncomment: ", out);
        put_comment_text(out, s->g->country_why);
        fputs(";\n  #   without it only numbers written +country are valid\n", out);
    }
    write_optouts(s, out);
    fputs("  landlines: skip                  # an SMS to a landline reaches nobody\n"
          "  dedupe: true                     # the same person twice in a file: invited once\n"
          "  cooldown_days: 90                # and not again within 90 days\n\n",
          out);
}

static void write_channel(const struct starter *s, const char *key, const struct preset_consent *c,
                          FILE *out)
{
    /* An opt-out column names who refused; its blank cells mean yes, so the
     * rule lists the refusals rather than the consents. */
    static const char *const refusals[] = {"yes", "true", "1", NULL};
    const char *const *values = c->opt_out ? refusals : c->values;
    fprintf(out, "  %s:\n    column: ", key);
    put_quoted(out, s->g->header[c->col]);
    fputs(c->opt_out ? "\n    not_in: [" : "\n    in: [", out);
    for (const char *const *v = values; *v; v++) {
        if (v != values)
            fputs(", ", out);
        put_quoted(out, *v);
    }
    fputc(']', out);
    if (c->opt_out)
        fputs("   # the column names who refused: a blank cell is consent", out);
    fputc('\n', out);
}

static void write_channels(const struct starter *s, FILE *out)
{
    if (!s->consent[PRESET_SMS] && !s->consent[PRESET_EMAIL])
        return;
    fputs("# Consent, from the export's own columns: a contact whose row does not allow\n"
          "# a channel is not reached on it (the other channel still works). Delete a\n"
          "# rule to send on that channel as the export stands.\n"
          "channels:\n",
          out);
    if (s->consent[PRESET_SMS])
        write_channel(s, "sms", s->consent[PRESET_SMS], out);
    if (s->consent[PRESET_EMAIL])
        write_channel(s, "email", s->consent[PRESET_EMAIL], out);
    fputc('\n', out);
}

/* The account's businesses, as comments a person picks ids from. */
static void write_business_list(const struct starter *s, size_t from, FILE *out)
{
    for (size_t i = from; i < s->n_biz; i++) {
        fprintf(out, "  #   %s  ", s->biz[i].id);
        put_comment_text(out, s->biz[i].name);
        fputc('\n', out);
    }
}

static void write_store(const struct starter *s, size_t i, FILE *out)
{
    const struct location_value *v = &s->g->location.values[i];
    struct location_match m;
    starter_store_match(s, i, &m);
    const char *id = store_target(s, i);
    fputs(id ? "    " : "    # ", out);
    put_quoted(out, v->value);
    fprintf(out, ": %s   # %ld row%s", id ? id : STARTER_PLACEHOLDER_ID, v->rows,
            v->rows == 1 ? "" : "s");
    if (!s->n_biz) {
        fputs(": REPLACE with the store's business id\n", out);
        return;
    }
    switch (m.kind) {
    case LOCATION_EXACT:
        fputs(": ", out);
        put_comment_text(out, s->biz[m.best].name);
        break;
    case LOCATION_NEAR:
        fputs(". TODO: not an exact name: the nearest business is ", out);
        put_comment_text(out, s->biz[m.best].name);
        fputs("; check it is this store", out);
        break;
    case LOCATION_SEVERAL:
        fputs(". TODO: several businesses fit (", out);
        put_comment_text(out, s->biz[m.best].name);
        fputs(", ", out);
        put_comment_text(out, s->biz[m.second].name);
        fputs("...): put the right id in and uncomment, or its rows are refused", out);
        break;
    case LOCATION_NONE:
        fputs(". TODO: no business is named like this store: put its id in and uncomment, "
              "or its rows are refused",
              out);
        break;
    }
    fputc('\n', out);
}

/* A multi-location export: each store to its business. */
static void write_stores(const struct starter *s, FILE *out)
{
    const struct location_tally *t = &s->g->location;
    fputs("  # Each row's store is in the '", out);
    put_comment_text(out, s->g->header[t->col]);
    fprintf(out, "' column (%zu store%s in the rows looked at);\n", t->n, t->n == 1 ? "" : "s");
    if (s->n_biz) {
        fputs("  # each is mapped to the business of its name from GET /businesses:\n", out);
        write_business_list(s, 0, out);
    } else {
        fputs("  # put each store's business id in (`cloutly-pipe businesses` lists them;\n"
              "  # with CLOUTLY_API_KEY set, guess fills them in):\n",
              out);
        if (s->biz_note[0]) {
            fputs("  # ", out);
            put_comment_text(out, s->biz_note);
            fputc('\n', out);
        }
    }
    fputs("  # A store can have its own campaign: \"Name\": {business_id: ID, campaign_id: ID}\n",
          out);
    if (stores_mapped(s))
        fputs("  business_map:\n", out);
    else
        fputs("  # business_map:\n", out);
    for (size_t i = 0; i < t->n; i++)
        write_store(s, i, out);
    if (t->empty && !single_business(s))
        fprintf(out,
                "  # %ld row%s no store: refused unless business_id names a business for them\n",
                t->empty, t->empty == 1 ? " has" : "s have");
}

static void write_invite(const struct starter *s, FILE *out)
{
    fputs("invite:\n", out);
    if (starter_maps_stores(s))
        write_stores(s, out);
    /* With stores mapped, the map names every store's business. */
    if (single_business(s) && s->n_biz && !starter_maps_stores(s)) {
        fprintf(out, "  business_id: %s   # ", s->biz[0].id);
        put_comment_text(out, s->biz[0].name);
        fputs(" (from GET /businesses)\n", out);
        if (s->n_biz > 1)
            fputs("  # The account's other businesses; a multi-location export can map a\n"
                  "  # location column with input.columns.businessId and business_map:\n",
                  out);
        write_business_list(s, 1, out);
    } else if (single_business(s)) {
        fputs("  business_id: " STARTER_PLACEHOLDER_ID
              "   # REPLACE: `cloutly-pipe businesses` lists yours\n",
              out);
        if (s->biz_note[0]) {
            fputs("  # ", out);
            put_comment_text(out, s->biz_note);
            fputc('\n', out);
        }
    }
    fputs("  campaign_id: " STARTER_PLACEHOLDER_ID
          "   # REPLACE: the id in your campaign page's URL\n"
          "  invite_delay_days: 1             # omit to send at once; 1 or 3 days later\n\n",
          out);
}

int starter_write(const struct starter *s, FILE *out)
{
    write_head(s, out);
    write_input(s, out);
    write_validate(s, out);
    write_channels(s, out);
    write_invite(s, out);
    fputs("output:\n"
          "  results: out/{name}-{date}-results.csv\n"
          "  rejects: out/{name}-{date}-rejects.csv\n\n"
          "# state: what was sent to whom, never sent twice. By default the account's\n"
          "# ledger (~/.local/state/cloutly-pipe), shared by every pipeline of this key so\n"
          "# cooldowns hold across them; set state.path only to keep this one apart.\n",
          out);
    return ferror(out) ? -1 : 0;
}
