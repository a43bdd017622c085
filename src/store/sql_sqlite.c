/* The statement layer on SQLite: a thin pass-through (see sql.h). */
#include "store/sql_impl.h"

int sql_lite_prepare(struct sql_db *db, const char *sql, struct sql_stmt *st)
{
    return sqlite3_prepare_v2(db->lite, sql, -1, &st->lite, NULL) == SQLITE_OK ? 0 : -1;
}

int sql_lite_step(struct sql_stmt *st)
{
    int rc = sqlite3_step(st->lite);
    if (rc == SQLITE_ROW)
        return SQL_ROW;
    return rc == SQLITE_DONE ? SQL_DONE : -1;
}
