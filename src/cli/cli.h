/* Commands of the sluice CLI; each returns the process exit status. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

enum { SL_EXIT_OK = 0, SL_EXIT_FAILURE = 1, SL_EXIT_USAGE = 2 };

int sl_cmd_tail(int argc, char **argv);
int sl_cmd_parquet_dump(int argc, char **argv);

#endif
