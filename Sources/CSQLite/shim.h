#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import: SQLite copies the bound value.
static inline sqlite3_destructor_type braid_sqlite_transient(void) { return SQLITE_TRANSIENT; }
