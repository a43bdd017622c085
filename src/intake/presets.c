/*
 * Header presets: see presets.h.
 *
 * The spellings below are the column names the systems write in their own
 * customer exports (Shopify admin > Customers > Export, current and legacy
 * layouts; Square Dashboard > Customers > Export, "Surname" in some regions;
 * Lightspeed Retail X-Series, formerly Vend; Clover; HubSpot contacts;
 * Mailchimp audience exports, new ("Email Address") and merge tags
 * ("EMAIL,FNAME,LNAME"); Salesforce reports and Data Loader; Xero contacts),
 * plus the generic names spreadsheets use. Every entry is squashed:
 * lower case, letters and digits only.
 */
#include "intake/presets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A tier of spellings. In a strict tier (any == 0) two columns are
 * ambiguous; in an `any` tier every column is a fallback, in header order. */
struct tier {
    int any;
    const char *const *names;
};

#define ONE(...)                                                                                   \
    {                                                                                              \
        0, NAMES(__VA_ARGS__)                                                                      \
    }
#define ANY(...)                                                                                   \
    {                                                                                              \
        1, NAMES(__VA_ARGS__)                                                                      \
    }
#define TIERS 3

struct field_rules {
    int best_only; /* only the best tier: its columns are not fallbacks of each other's */
    struct tier tiers[TIERS];
};

static const struct field_rules fields[MAP_FIELD_COUNT] = {
    [MAP_FIRST_NAME] = {0,
                        {ONE("firstname", "givenname", "forename", "vorname", "prénom", "prenom",
                             "voornaam", "nombre", "nome"),
                         ONE("fname", "first", "customerfirstname", "contactfirstname",
                             "billingfirstname", "firstnamebilling"),
                         ANY("shippingfirstname", "firstnameshipping")}},
    [MAP_LAST_NAME] = {0,
                       {ONE("lastname", "surname", "familyname", "nachname", "achternaam",
                            "apellido", "apellidos", "cognome", "sobrenome", "nom"),
                        ONE("lname", "last", "customerlastname", "contactlastname",
                            "billinglastname", "lastnamebilling"),
                        ANY("shippinglastname", "lastnameshipping")}},
    /* Only used when there is no first-name column (mapping.c). */
    [MAP_FULL_NAME] = {0,
                       {ONE("name", "fullname", "customername", "contactname", "displayname",
                            "clientname", "nomcomplet")}},
    [MAP_EMAIL] = {0,
                   {ONE("email", "emailaddress", "emailadresse", "emailadres", "courriel", "correo",
                        "correoelectronico", "emailid"),
                    ONE("customeremail", "contactemail", "primaryemail", "personalemail", "email1",
                        "customeremailaddress", "billingemail", "email1value", "emailbilling"),
                    /* Google's and Outlook's further addresses: per-row fallbacks. */
                    ANY("email2value", "email3value", "email2address", "email3address",
                        "secondaryemail")}},
    /* Mobile first: an invite is an SMS when it can be. HubSpot's "Mobile
     * Phone Number" is often empty while "Phone Number" is not, so the others
     * follow as per-row fallbacks; address and work phones come last. */
    [MAP_PHONE] = {0,
                   {ONE("mobile", "mobilephone", "mobilenumber", "mobilephonenumber", "mobileno",
                        "cell", "cellphone", "cellnumber", "cellphonenumber", "handy", "mobil",
                        "mobilnummer", "mobiel", "móvil", "movil", "cellulare", "portable"),
                    ONE("phone", "phonenumber", "telephone", "telephonenumber", "tel", "telefon",
                        "telefonnummer", "telefono", "teléfono", "téléphone", "telefoon", "phoneno",
                        "contactphone", "customerphone", "primaryphone", "phone1", "phone1value",
                        "phonebilling"),
                    ANY("defaultaddressphone", "homephone", "workphone", "otherphone",
                        "businessphone", "officephone", "phone2", "billingphone",
                        "billingaddressphone", "shippingphone", "shippingaddressphone",
                        "addressphone", "ddinumber", "landline", "phone2value", "phone3value",
                        "homephone2", "businessphone2", "companymainphone", "phoneshipping")}},
    /* The system's own id first; "Reference ID" and account numbers are set
     * by hand and often empty, and ids from two columns are not one kind. */
    [MAP_SOURCE_CONTACT_ID] = {1,
                               {ONE("customerid", "squarecustomerid", "recordid", "contactid",
                                    "clientid", "customerno", "customernumber", "kundennummer"),
                                ONE("id"),
                                ONE("referenceid", "customercode", "accountnumber", "externalid",
                                    "externalcustomerid")}},
    [MAP_BUSINESS_ID] = {0, {{0, NULL}}},
    /* Codes before names; the address's country before the shipping one. */
    [MAP_COUNTRY] = {0,
                     {ONE("countrycode", "defaultaddresscountrycode", "physicalcountryid",
                          "mailingcountrycode", "billingcountrycode", "addresscountrycode",
                          "isocountrycode", "countryiso", "countrycodebilling"),
                      ONE("country", "mailingcountry", "countryregion", "pocountry",
                          "defaultaddresscountry", "billingcountry", "addresscountry", "land",
                          "pays", "país", "pais", "address1country", "homecountryregion",
                          "countrybilling"),
                      ANY("postalcountryid", "sacountry", "othercountry", "othercountrycode",
                          "shippingcountry", "shippingcountrycode", "address2country",
                          "businesscountryregion", "othercountryregion", "countrycodeshipping",
                          "cardaddresscountry")}},
};

/* A known export: its telltale columns, and spellings that mean a field only
 * in that system's files (Stripe's "Card Name" is the customer's name when
 * "Name" is not), tried before the generic ones, in header order. Only
 * columns of an address say a country: Mailchimp's CC and REGION are where
 * the sign-up's IP address was. */
struct system {
    struct preset p;
    const char *const *extra[MAP_FIELD_COUNT];
};

static const struct system systems[] = {
    {{"shopify", "Shopify customers",
      NAMES("acceptsemailmarketing", "defaultaddresscompany", "defaultaddressaddress1",
            "defaultaddressaddress2", "defaultaddresscity", "defaultaddressprovincecode",
            "defaultaddresscountrycode", "defaultaddresszip", "defaultaddressphone",
            "acceptssmsmarketing", "totalspent", "totalorders", "taxexempt"),
      3},
     {NULL}},
    {{"shopify-legacy", "Shopify customers (legacy layout)",
      NAMES("company", "address1", "address2", "province", "provincecode", "countrycode", "zip",
            "acceptsmarketing", "totalspent", "totalorders", "taxexempt"),
      3},
     {NULL}},
    {{"square", "Square customers",
      NAMES("referenceid", "squarecustomerid", "nickname", "companyname", "streetaddress1",
            "streetaddress2", "postalcode", "birthday", "memo", "creationsource", "firstvisit",
            "lastvisit", "transactioncount", "totalspend", "emailsubscriptionstatus",
            "instantprofile"),
      2},
     {NULL}},
    {{"lightspeed", "Lightspeed Retail (X-Series, formerly Vend) customers",
      NAMES("customercode", "companyname", "physicaladdress1", "physicaladdress2", "physicalsuburb",
            "physicalcity", "physicalpostcode", "physicalstate", "physicalcountryid",
            "postaladdress1", "postalcountryid", "customergroupid", "customergroupname",
            "enableloyalty", "loyaltybalance", "donotemail", "yeartodate", "dateofbirth"),
      3},
     {NULL}},
    {{"clover", "Clover customers",
      NAMES("addressline1", "addressline2", "addressline3", "stateprovince", "postalzipcode",
            "marketingallowed", "customersince"),
      2},
     {NULL}},
    {{"hubspot", "HubSpot contacts",
      NAMES("recordid", "mobilephonenumber", "lifecyclestage", "contactowner", "createdate",
            "lastactivitydate", "leadstatus", "marketingcontactstatus", "associatedcompany",
            "unsubscribedfromallemail", "countryregion"),
      2},
     {NULL}},
    {{"mailchimp", "Mailchimp audience",
      NAMES("memberrating", "optintime", "optinip", "confirmtime", "confirmip", "latitude",
            "longitude", "gmtoff", "dstoff", "timezone", "cc", "region", "lastchanged", "leid",
            "euid"),
      3},
     {NULL}},
    {{"mailchimp-merge-tags", "Mailchimp audience (merge tags)", NAMES("fname", "lname"), 2},
     {NULL}},
    {{"mailchimp-unsubscribed", "Mailchimp unsubscribed members",
      NAMES("unsubtime", "unsubcampaigntitle", "unsubcampaignid", "unsubreason", "unsubreasonother",
            "memberrating", "optintime", "leid", "euid"),
      3},
     {NULL}},
    {{"mailchimp-cleaned", "Mailchimp cleaned (bounced) members",
      NAMES("cleantime", "cleancampaigntitle", "cleancampaignid", "memberrating", "optintime",
            "leid", "euid"),
      3},
     {NULL}},
    {{"google-contacts", "Google Contacts",
      NAMES("givenname", "additionalname", "familyname", "yominame", "nameprefix", "namesuffix",
            "groupmembership", "email1type", "email1value", "phone1type", "phone1value",
            "address1formatted", "billinginformation", "directoryserver", "mileage", "sensitivity"),
      4},
     {NULL}},
    {{"google-contacts-2023", "Google Contacts (2023 layout)",
      NAMES("middlename", "phoneticfirstname", "phoneticmiddlename", "phoneticlastname",
            "nameprefix", "namesuffix", "fileas", "organizationname", "organizationtitle", "labels",
            "email1label", "email1value", "phone1label", "phone1value", "address1formatted"),
      4},
     {NULL}},
    {{"outlook", "Outlook contacts",
      NAMES("givenyomi", "surnameyomi", "email2address", "email3address", "homephone2",
            "businessphone2", "carphone", "radiophone", "telex", "ttytddphone", "companymainphone",
            "callback", "assistantsphone", "businesscountryregion", "homecountryregion",
            "managersname"),
      4},
     {NULL}},
    {{"zoho-books", "Zoho Books / Invoice contacts",
      NAMES("emailid", "displayname", "skypeidentity", "currencycode", "billingattention",
            "billingstreet2", "shippingattention", "contacttype", "customersubtype", "paymentterms",
            "placeofcontact", "gsttreatment", "salutation", "mobilephone"),
      4},
     {NULL}},
    {{"zoho-crm", "Zoho CRM contacts",
      NAMES("contactowner", "leadsource", "emailoptout", "skypeid", "createdby", "modifiedby",
            "createdtime", "modifiedtime", "secondaryemail", "asstphone", "reportsto",
            "mailingstreet", "vendorname", "accountname"),
      5},
     {NULL}},
    {{"stripe", "Stripe customers",
      NAMES("createdutc", "cardid", "cardname", "cardbrand", "cardlast4", "cardexpmonth",
            "cardexpyear", "accountbalance", "delinquent", "businessvatid", "cardaddressline1",
            "cardaddresscountry", "cardaddresszip"),
      4},
     {[MAP_FULL_NAME] = NAMES("name", "cardname")}},
    {{"woocommerce-customers", "WooCommerce customers",
      NAMES("username", "lastactive", "dateregistered", "orders", "totalspend", "aov",
            "billingfirstname", "billinglastname", "billingemail", "billingphone",
            "billingaddress1", "billingpostcode", "shippingfirstname", "ordercount", "totalspent"),
      4},
     {NULL}},
    {{"woocommerce-orders", "WooCommerce orders",
      NAMES("orderid", "ordernumber", "orderstatus", "orderdate", "firstnamebilling",
            "lastnamebilling", "emailbilling", "phonebilling", "countrycodebilling",
            "paymentmethodtitle", "ordertotalamount", "shippingmethodtitle", "itemname"),
      4},
     {NULL}},
    {{"salesforce-report", "Salesforce contacts report",
      NAMES("contactid", "accountname", "mobile", "mailingstreet", "mailingcity",
            "mailingstateprovince", "mailingzippostalcode", "mailingcountry", "emailoptout",
            "contactowner", "leadsource"),
      2},
     {NULL}},
    {{"salesforce-dataloader", "Salesforce Data Loader contacts",
      NAMES("id", "accountid", "mobilephone", "mailingstreet", "mailingcity", "mailingstate",
            "mailingpostalcode", "mailingcountry", "hasoptedoutofemail", "donotcall", "ownerid",
            "createddate", "lastmodifieddate", "isdeleted", "systemmodstamp", "masterrecordid"),
      3},
     {NULL}},
    {{"xero", "Xero contacts",
      NAMES("contactname", "accountnumber", "poattentionto", "poaddressline1", "pocity", "poregion",
            "popostalcode", "pocountry", "saaddressline1", "sacountry", "mobilenumber", "faxnumber",
            "ddinumber", "skypename", "bankaccountname", "bankaccountnumber", "taxnumber"),
      2},
     {NULL}},
};

#define N_SYSTEMS (sizeof systems / sizeof *systems)

/* Consent columns, most specific first: per channel the first that the
 * header has wins. An opt-out column lists the values that mean "did not
 * refuse". In the US an SMS counts as a call, so "Do Not Call" covers it. */
#define SMS        (1u << PRESET_SMS)
#define EMAIL      (1u << PRESET_EMAIL)
#define YES        NAMES("yes", "true", "1")
#define NO         NAMES("no", "false", "0")
#define SUBSCRIBED NAMES("subscribed")

struct consent_rule {
    const char *key;
    unsigned channels;
    const char *const *values;
    int opt_out;
};

static const struct consent_rule consent_rules[] = {
    {"acceptssmsmarketing", SMS, YES, 0},
    {"acceptssms", SMS, YES, 0},
    {"smsmarketing", SMS, YES, 0},
    {"smsoptin", SMS, YES, 0},
    {"smsconsent", SMS, YES, 0},
    {"smssubscriptionstatus", SMS, SUBSCRIBED, 0},
    {"smsoptout", SMS, NO, 1},
    {"donotsms", SMS, NO, 1},
    {"donottext", SMS, NO, 1},
    {"donotcall", SMS, NO, 1},
    {"acceptsemailmarketing", EMAIL, YES, 0},
    {"marketingemailsoptin", EMAIL, YES, 0},
    {"emailoptin", EMAIL, YES, 0},
    {"emailconsent", EMAIL, YES, 0},
    {"emailsubscriptionstatus", EMAIL, SUBSCRIBED, 0},
    {"emailoptout", EMAIL, NO, 1},
    {"hasoptedoutofemail", EMAIL, NO, 1},
    {"unsubscribedfromallemail", EMAIL, NO, 1},
    {"unsubscribed", EMAIL, NO, 1},
    {"donotemail", EMAIL, NO, 1},
    /* Both channels: Shopify's legacy flag, Clover's, generic ones. */
    {"acceptsmarketing", SMS | EMAIL, YES, 0},
    {"marketingallowed", SMS | EMAIL, YES, 0},
    {"marketingoptin", SMS | EMAIL, YES, 0},
    {"marketingconsent", SMS | EMAIL, YES, 0},
};

/* ---- opt-outs: the export's own marks of who must not be contacted ---- */

#define BOTH (SMS | EMAIL)

/* Columns only the refusal exports have: the whole file is refused. */
static const struct {
    const char *key;
    unsigned channels;
    const char *what, *word;
} optout_lists[] = {
    {"unsubtime", BOTH, "a Mailchimp unsubscribed export", "unsubscribed"},
    {"unsubcampaigntitle", BOTH, "a Mailchimp unsubscribed export", "unsubscribed"},
    {"unsubcampaignid", BOTH, "a Mailchimp unsubscribed export", "unsubscribed"},
    {"unsubreason", BOTH, "a Mailchimp unsubscribed export", "unsubscribed"},
    {"cleantime", EMAIL, "a Mailchimp cleaned (bounced) export", "cleaned (bounced)"},
    {"cleancampaigntitle", EMAIL, "a Mailchimp cleaned (bounced) export", "cleaned (bounced)"},
    {"cleancampaignid", EMAIL, "a Mailchimp cleaned (bounced) export", "cleaned (bounced)"},
};

/* Status columns and the channels their refusals can reach. */
static const struct {
    const char *key;
    unsigned channels;
} optout_status[] = {
    {"status", BOTH},
    {"memberstatus", BOTH},
    {"contactstatus", BOTH},
    {"subscriptionstatus", BOTH},
    {"subscriberstatus", BOTH},
    {"marketingstatus", BOTH},
    {"optinstatus", BOTH},
    {"consentstatus", BOTH},
    {"customerstatus", BOTH},
    {"emailstatus", EMAIL},
    {"emailsubscriptionstatus", EMAIL},
    {"emailmarketingstatus", EMAIL},
    {"emailbouncestatus", EMAIL},
    {"emaildeliverability", EMAIL},
    {"emailmarketingconsent", EMAIL},
    {"smsstatus", SMS},
    {"smssubscriptionstatus", SMS},
    {"smsmarketingstatus", SMS},
    {"smsmarketingconsent", SMS},
};

/* Values of a status column that refuse (squashed). A bounce is about the
 * address: under a column for both channels it drops the email only. */
static const struct {
    const char *value;
    int bounce;
    const char *word;
} refusals[] = {
    {"unsubscribed", 0, "unsubscribed"},
    {"unsubscribe", 0, "unsubscribed"},
    {"unsub", 0, "unsubscribed"},
    {"optedout", 0, "opted out"},
    {"optout", 0, "opted out"},
    {"donotcontact", 0, "do not contact"},
    {"dnc", 0, "do not contact"},
    {"blocked", 0, "blocked"},
    {"blacklisted", 0, "blocked"},
    {"blocklisted", 0, "blocked"},
    {"suppressed", 0, "suppressed"},
    {"spam", 0, "reported spam"},
    {"spamreport", 0, "reported spam"},
    {"spamcomplaint", 0, "reported spam"},
    {"complained", 0, "reported spam"},
    {"notsubscribed", 0, "not subscribed"},
    {"nonsubscribed", 0, "not subscribed"},
    {"revoked", 0, "opted out"},
    {"withdrawn", 0, "opted out"},
    {"declined", 0, "declined"},
    {"bounced", 1, "bounced"},
    {"bounce", 1, "bounced"},
    {"hardbounce", 1, "bounced"},
    {"hardbounced", 1, "bounced"},
    {"softbounced", 1, "bounced"},
    {"cleaned", 1, "cleaned (bounced)"},
    {"invalid", 1, "invalid"},
    {"undeliverable", 1, "undeliverable"},
};

/* Flag columns: a true cell refuses those channels. */
static const struct {
    const char *key;
    unsigned channels;
    const char *word;
} optout_flags[] = {
    {"emailoptout", EMAIL, "opted out"},
    {"hasoptedoutofemail", EMAIL, "opted out"},
    {"unsubscribedfromallemail", EMAIL, "unsubscribed"},
    {"donotemail", EMAIL, "do not email"},
    {"emailunsubscribed", EMAIL, "unsubscribed"},
    {"unsubscribedemail", EMAIL, "unsubscribed"},
    {"bounced", EMAIL, "bounced"},
    {"emailbounced", EMAIL, "bounced"},
    {"isbounced", EMAIL, "bounced"},
    {"hardbounced", EMAIL, "bounced"},
    {"emailbounce", EMAIL, "bounced"},
    {"emailinvalid", EMAIL, "invalid"},
    {"invalidemail", EMAIL, "invalid"},
    {"smsoptout", SMS, "opted out"},
    {"donotsms", SMS, "do not text"},
    {"donottext", SMS, "do not text"},
    {"smsunsubscribed", SMS, "unsubscribed"},
    {"textoptout", SMS, "opted out"},
    {"donotcall", SMS, "do not call"},
    {"hasoptedoutofsms", SMS, "opted out"},
    {"donotcontact", BOTH, "do not contact"},
    {"unsubscribed", BOTH, "unsubscribed"},
    {"optedout", BOTH, "opted out"},
    {"optout", BOTH, "opted out"},
    {"donotsolicit", BOTH, "do not contact"},
    {"donotmarket", BOTH, "do not contact"},
    {"unsubscribedfromall", BOTH, "unsubscribed"},
    {"globalunsubscribe", BOTH, "unsubscribed"},
    {"blacklisted", BOTH, "blocked"},
    {"isunsubscribed", BOTH, "unsubscribed"},
};

#define LEN(a) (sizeof(a) / sizeof *(a))

static const char *const truthy[] = {"yes", "true", "1", "x", "y", "t", "checked", "on", NULL};

/* Words in a header that mean it is about permission to contact. */
static const char *const consent_words[] = {
    "optin",     "optout",  "optedout",  "consent",     "subscri", "unsub",
    "marketing", "promo",   "donot",     "newsletter",  "bounce",  "permission",
    "gdpr",      "accepts", "emailable", "contactable", NULL};
/* Such headers that are not about permission (Mailchimp's sign-up times). */
static const char *const not_consent[] = {
    "optintime",  "optinip",          "confirmtime", "confirmip", "marketingcontactstatus",
    "leadsource", "unsubreasonother", NULL};

void presets_squash(const char *s, char *out, size_t cap)
{
    size_t j = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c < 0x80)
            continue;
        if (j + 1 >= cap) {
            j = 0; /* too long to be any known header */
            break;
        }
        out[j++] = (char)c;
    }
    out[j] = '\0';
}

static int listed(const char *const *names, const char *key)
{
    for (; names && *names; names++)
        if (strcmp(*names, key) == 0)
            return 1;
    return 0;
}

static int count_marks(const struct preset *p, char keys[][PRESET_KEY_MAX], size_t n, int *total)
{
    int found = 0;
    *total = 0;
    for (const char *const *m = p->marks; *m; m++) {
        (*total)++;
        for (size_t i = 0; i < n; i++)
            if (strcmp(keys[i], *m) == 0) {
                found++;
                break;
            }
    }
    return found;
}

/* The system whose telltale columns the header has in the largest share,
 * among those with at least `need` of them; ties go to the earlier. */
static const struct system *recognise(char keys[][PRESET_KEY_MAX], size_t n, int *found_out,
                                      int *total_out)
{
    const struct system *best = NULL;
    int best_found = 0, best_total = 1;
    for (size_t s = 0; s < N_SYSTEMS; s++) {
        int total, found = count_marks(&systems[s].p, keys, n, &total);
        /* Named only on strong evidence: its minimum, and a quarter of its
         * telltale columns (two of sixteen shared names make no Square file). */
        if (found < systems[s].p.need || found * 4 < total)
            continue;
        if (!best || (long)found * best_total > (long)best_found * total) {
            best = &systems[s];
            best_found = found;
            best_total = total;
        }
    }
    *found_out = best ? best_found : 0;
    *total_out = best ? best_total : 0;
    return best;
}

/* The columns one tier holds, in header order. */
static size_t tier_columns(const char *const *names, char keys[][PRESET_KEY_MAX], size_t n,
                           int *cols)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < PRESET_MAX_COLS; i++)
        if (keys[i][0] && listed(names, keys[i]))
            cols[k++] = (int)i;
    return k;
}

static void match_field(enum map_field f, const struct system *sys, char keys[][PRESET_KEY_MAX],
                        size_t n, struct preset_match *out)
{
    const struct field_rules *r = &fields[f];
    struct tier all[TIERS + 1];
    size_t nt = 0;
    if (sys && sys->extra[f])
        all[nt++] = (struct tier){1, sys->extra[f]};
    for (size_t t = 0; t < TIERS && r->tiers[t].names; t++)
        all[nt++] = r->tiers[t];
    for (size_t t = 0; t < nt; t++) {
        int cols[PRESET_MAX_COLS];
        size_t k = tier_columns(all[t].names, keys, n, cols);
        if (!k)
            continue;
        /* The same name twice (HubSpot's two "Phone Number") is one column
         * written twice: its copies are per-row fallbacks, not rivals. */
        int same = 1;
        for (size_t j = 1; j < k; j++)
            same &= strcmp(keys[cols[j]], keys[cols[0]]) == 0;
        if (k > 1 && !all[t].any && !same && !out->n_clash[f]) {
            memcpy(out->clash[f], cols, k * sizeof *cols);
            out->n_clash[f] = k;
        }
        for (size_t j = 0; j < k && out->n[f] < PRESET_MAX_COLS; j++) {
            size_t seen = 0;
            while (seen < out->n[f] && out->cols[f][seen] != cols[j])
                seen++;
            if (seen == out->n[f])
                out->cols[f][out->n[f]++] = cols[j];
        }
        if (r->best_only)
            break;
    }
}

static void match_consent(char keys[][PRESET_KEY_MAX], size_t n, struct preset_match *out)
{
    size_t best[PRESET_CHANNELS];
    for (int c = 0; c < PRESET_CHANNELS; c++) {
        out->consent[c] = (struct preset_consent){.col = -1};
        best[c] = sizeof consent_rules / sizeof *consent_rules;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < sizeof consent_rules / sizeof *consent_rules; r++) {
            if (strcmp(keys[i], consent_rules[r].key) != 0)
                continue;
            for (int c = 0; c < PRESET_CHANNELS; c++)
                if ((consent_rules[r].channels & (1u << c)) && r < best[c]) {
                    best[c] = r;
                    out->consent[c] = (struct preset_consent){(int)i, consent_rules[r].values,
                                                              consent_rules[r].opt_out};
                }
        }
}

static int listed(const char *const *names, const char *key);

/* Which table, if any, knows column `key` as an opt-out; fills *o. */
static int optout_of(const char *key, struct preset_optout *o)
{
    for (size_t i = 0; i < LEN(optout_lists); i++)
        if (strcmp(key, optout_lists[i].key) == 0) {
            *o = (struct preset_optout){-1, OPTOUT_LIST, optout_lists[i].channels,
                                        optout_lists[i].what};
            return 1;
        }
    for (size_t i = 0; i < LEN(optout_status); i++)
        if (strcmp(key, optout_status[i].key) == 0) {
            *o = (struct preset_optout){-1, OPTOUT_STATUS, optout_status[i].channels, NULL};
            return 1;
        }
    for (size_t i = 0; i < LEN(optout_flags); i++)
        if (strcmp(key, optout_flags[i].key) == 0) {
            *o = (struct preset_optout){-1, OPTOUT_FLAG, optout_flags[i].channels,
                                        optout_flags[i].word};
            return 1;
        }
    return 0;
}

static int known_consent(const char *key)
{
    for (size_t r = 0; r < LEN(consent_rules); r++)
        if (strcmp(key, consent_rules[r].key) == 0)
            return 1;
    return 0;
}

static int consent_like(const char *key)
{
    if (listed(not_consent, key))
        return 0;
    for (const char *const *w = consent_words; *w; w++)
        if (strstr(key, *w))
            return 1;
    return 0;
}

/* Opt-out columns, and consent-like ones nothing here understands. One
 * list marker is enough: its siblings add nothing. */
static void match_optouts(char keys[][PRESET_KEY_MAX], size_t n, struct preset_match *out)
{
    int have_list = 0;
    for (size_t i = 0; i < n; i++) {
        struct preset_optout o;
        if (keys[i][0] && optout_of(keys[i], &o)) {
            if (o.kind == OPTOUT_LIST && have_list)
                continue;
            have_list |= o.kind == OPTOUT_LIST;
            o.col = (int)i;
            if (out->n_optout < PRESET_MAX_OPTOUTS)
                out->optout[out->n_optout++] = o;
        } else if (keys[i][0] && !known_consent(keys[i]) && consent_like(keys[i]) &&
                   out->n_unknown_consent < PRESET_MAX_UNKNOWN) {
            out->unknown_consent[out->n_unknown_consent++] = (int)i;
        }
    }
}

unsigned preset_optout_refuses(const struct preset_optout *o, const char *cell, size_t len,
                               const char **why)
{
    char v[PRESET_KEY_MAX], raw[PRESET_KEY_MAX];
    *why = NULL;
    if (o->kind == OPTOUT_LIST) {
        for (size_t i = 0; i < LEN(optout_lists); i++)
            if (strcmp(optout_lists[i].what, o->what) == 0) {
                *why = optout_lists[i].word;
                break;
            }
        return o->channels;
    }
    if (len >= sizeof raw)
        return 0;
    memcpy(raw, cell, len);
    raw[len] = '\0';
    presets_squash(raw, v, sizeof v);
    if (!v[0])
        return 0;
    if (o->kind == OPTOUT_FLAG) {
        if (!listed(truthy, v))
            return 0;
        *why = o->what;
        return o->channels;
    }
    for (size_t i = 0; i < LEN(refusals); i++)
        if (strcmp(v, refusals[i].value) == 0) {
            *why = refusals[i].word;
            /* A bounce under a column for both channels is the address's. */
            if (refusals[i].bounce && o->channels == BOTH)
                return EMAIL;
            return o->channels;
        }
    return 0;
}

int presets_match(const char *const *header, size_t n, struct preset_match *out)
{
    /* Each column squashed once: every table is compared with these. */
    char(*keys)[PRESET_KEY_MAX] = calloc(n ? n : 1, sizeof *keys);
    memset(out, 0, sizeof *out);
    if (!keys)
        return -1;
    for (size_t i = 0; i < n; i++)
        presets_squash(header[i], keys[i], PRESET_KEY_MAX);
    const struct system *sys = recognise(keys, n, &out->marks_found, &out->marks_total);
    out->system = sys ? &sys->p : NULL;
    for (int f = 0; f < MAP_FIELD_COUNT; f++)
        match_field((enum map_field)f, sys, keys, n, out);
    match_consent(keys, n, out);
    match_optouts(keys, n, out);
    free(keys);
    return 0;
}

void presets_describe(const struct preset *system, int found, int total, char *buf, size_t cap)
{
    if (system)
        snprintf(buf, cap, "looks like %s %s export (%d of %d telltale columns)",
                 strchr("AEIOU", system->title[0]) ? "an" : "a", system->title, found, total);
    else
        snprintf(buf, cap, "not a known export: columns matched by their names");
}

void presets_column_label(const char *const *header, size_t n, size_t col, char *buf, size_t cap)
{
    size_t k = 1;
    for (size_t i = 0; i < col && i < n; i++)
        k += strcasecmp(header[i], header[col]) == 0;
    if (k == 1)
        snprintf(buf, cap, "%s", header[col]);
    else
        snprintf(buf, cap, "%s#%zu", header[col], k);
}

const struct preset *presets_at(size_t i)
{
    return i < N_SYSTEMS ? &systems[i].p : NULL;
}
