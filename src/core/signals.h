/*
 * SIGINT and SIGTERM become a counter the commands poll, so a stop request
 * is handled between requests, where every outcome can still be recorded:
 * the first asks to finish what is in flight, the second to abandon it.
 */
#ifndef CLOUTLY_SIGNALS_H
#define CLOUTLY_SIGNALS_H

#include <signal.h>

/* How many times SIGINT/SIGTERM arrived since signals_install(). */
extern volatile sig_atomic_t signals_received;

void signals_install(void);

#endif
