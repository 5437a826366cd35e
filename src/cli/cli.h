/* Commands of the sluice CLI; each returns the process exit status. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

enum { SL_EXIT_OK = 0, SL_EXIT_FAILURE = 1, SL_EXIT_USAGE = 2 };

int sl_cmd_tail(int argc, char **argv);
int sl_cmd_parquet_dump(int argc, char **argv);
int sl_cmd_apply(int argc, char **argv);
int sl_cmd_cat(int argc, char **argv);
int sl_cmd_timeline(int argc, char **argv);

struct sl_object_store;
struct sl_hudi_table;
struct sl_error;
/*
 * Opens the Hudi table whose base path is `uri` (a directory or file:// URI,
 * the store's root) for reading: a local path that does not exist is
 * SL_ENOTFOUND (the store is not created). On success the caller owns *store
 * (sl_object_store_close) and *table (sl_hudi_table_close, first); on
 * failure both are left empty. Defined in cmd_cat.c.
 */
int sl_cli_open_table(const char *uri, struct sl_object_store *store, struct sl_hudi_table **table,
                      struct sl_error *err);

#endif
