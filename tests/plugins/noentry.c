/*
 * noentry.c - a shared object that exports something, but not
 * benchtop_plugin_entry: what a library loaded by mistake looks like.
 */
__attribute__((visibility("default"))) int benchtop_plugin_entrypoint(void);

int benchtop_plugin_entrypoint(void)
{
	return 42;
}
