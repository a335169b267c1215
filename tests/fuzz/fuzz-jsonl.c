/*
 * fuzz-jsonl.c - libFuzzer target for the JSON Lines reader (data.c), on
 * bytes in memory (gzip data included): any input is read as a consistent
 * table or refused with "fuzz.jsonl:LINE:COL: ...".
 */
#include "config.h"

#include "fuzz-data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_split("fuzz.jsonl", data, size);
	return 0;
}
