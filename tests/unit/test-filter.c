#include <criterion/criterion.h>
Test(filter, placeholder_until_written)
{
	cr_assert(1);
}
