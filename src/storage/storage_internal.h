/*
 * Functions shared by the storage sources but not part of the public
 * interface (include/sluice/storage.h).
 */
#ifndef SLUICE_STORAGE_INTERNAL_H
#define SLUICE_STORAGE_INTERNAL_H

#include "sluice/storage.h"

/* sl_object_key_check for a key (is_prefix false) or a listing prefix, which
 * may be "" or end in '/'. Borrowed name. */
int sl_storage_name_check(const char *name, bool is_prefix, struct sl_error *err);

/* Makes the destroy of a faulty store print its counts line on stderr (used by
 * sl_object_store_open for SLUICE_FAULT_INJECT with nth=0). No-op on other stores. */
void sl_faulty_store_report_at_close(struct sl_object_store *faulty);

#endif
