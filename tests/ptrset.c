/* SPDX-License-Identifier: MIT */
/*
 * Description: the record set that validates CQE user_data: every added
 * pointer is found after growing, others are not, duplicates count once.
 */
#include "rc_ptrset.h"
#include "rc_testutil.h"

TEST(ptrset_finds_what_was_added_and_nothing_else)
{
	struct rc_ptrset s = { 0 };
	static char area[20000];
	int i;

	EXPECT_FALSE(rc_ptrset_has(&s, area));
	for (i = 0; i < 20000; i += 2)
		ASSERT_EQ(rc_ptrset_add(&s, area + i), 0);
	ASSERT_EQ(rc_ptrset_add(&s, area), 0);		/* duplicate */
	EXPECT_EQ(s.count, 10000);
	for (i = 0; i < 20000; i++)
		ASSERT_EQ(rc_ptrset_has(&s, area + i), i % 2 == 0);
	EXPECT_FALSE(rc_ptrset_has(&s, NULL));
	EXPECT_EQ(rc_ptrset_add(&s, NULL), -EINVAL);
	rc_ptrset_free(&s);
}
