/*
 * sluice: keeps Apache Hudi tables in step with PostgreSQL tables.
 * This file dispatches to one command per file (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluice <command> [options]\n"
            "\n"
            "commands:\n"
            "  tail          stream PostgreSQL changes as JSON lines (sluice tail --help)\n"
            "  apply         write change-event JSON lines into Hudi tables (sluice apply --help)\n"
            "  cat           print a Hudi table's rows as JSON lines (sluice cat --help)\n"
            "  timeline      print a Hudi table's instants as JSON lines (sluice timeline --help)\n"
            "  parquet-dump  print a Parquet file's rows or schema as JSON (sluice parquet-dump --help)\n"
            "  version       print the version\n"
            "  help          print this help\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SL_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "tail") == 0)
        return sl_cmd_tail(argc - 1, argv + 1);
    if (strcmp(command, "apply") == 0)
        return sl_cmd_apply(argc - 1, argv + 1);
    if (strcmp(command, "cat") == 0)
        return sl_cmd_cat(argc - 1, argv + 1);
    if (strcmp(command, "timeline") == 0)
        return sl_cmd_timeline(argc - 1, argv + 1);
    if (strcmp(command, "parquet-dump") == 0)
        return sl_cmd_parquet_dump(argc - 1, argv + 1);
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        printf("sluice %s\n", SLUICE_VERSION);
        return SL_EXIT_OK;
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "-h") == 0) {
        usage(stdout);
        return SL_EXIT_OK;
    }
    fprintf(stderr, "sluice: unknown command '%s'\n\n", command);
    usage(stderr);
    return SL_EXIT_USAGE;
}
