/*
 * fuzz-csv.c - libFuzzer target for the CSV reader (data.c), on bytes in
 * memory (gzip data included): any input is read as a consistent table or
 * refused with "fuzz.csv:LINE:COL: ...".
 */
#include "config.h"

#include "fuzz-data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_split("fuzz.csv", data, size);
	return 0;
}
