/* --version: see version.h. */
#include "cli/version.h"

#include <curl/curl.h>
#include <sqlite3.h>
#include <yaml.h>
#include <cJSON.h>

#ifndef CLOUTLY_PHONENUMBER_VERSION
#define CLOUTLY_PHONENUMBER_VERSION "unknown"
#endif

void cli_print_version(FILE *out)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    fprintf(out, "cloutly-pipe %s\n", CLOUTLY_VERSION);
    fprintf(out, "  libcurl %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
    fprintf(out, "  SQLite %s\n", sqlite3_libversion());
    fprintf(out, "  libyaml %s\n", yaml_get_version_string());
    fprintf(out, "  cJSON %s\n", cJSON_Version());
    fprintf(out, "  libphonenumber %s (as built against)\n", CLOUTLY_PHONENUMBER_VERSION);
    fprintf(out, "  build: %s%s\n",
#ifdef NDEBUG
            "release",
#else
            "debug",
#endif
#if defined(__SANITIZE_ADDRESS__)
            ", AddressSanitizer"
#else
            ""
#endif
    );
}
