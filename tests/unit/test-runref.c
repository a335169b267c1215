#include <criterion/criterion.h>
Test(runref, placeholder_until_written)
{
	cr_assert(1);
}
