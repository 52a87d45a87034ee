/* SPDX-License-Identifier: MIT */
/*
 * Description: the one hash table (records of a ring, hard-link groups,
 * the ledger): every key put is found after growing, others are not, a
 * put of a known key replaces its value, and removal (backward shift)
 * keeps every other key reachable.
 */
#include "ringcp/hmap.h"
#include "testutil.h"

TEST(hmap_finds_what_was_put_and_nothing_else)
{
	struct rc_hmap m = { 0 };
	static char area[20000];
	int i;

	EXPECT_TRUE(rc_hmap_get(&m, rc_hkey_ptr(area)) == NULL);
	for (i = 0; i < 20000; i += 2)
		ASSERT_EQ(rc_hmap_put(&m, rc_hkey_ptr(area + i), area + i), 0);
	ASSERT_EQ(rc_hmap_put(&m, rc_hkey_ptr(area), area + 1), 0);
	EXPECT_EQ(m.count, 10000);			/* replaced, not added */
	EXPECT_TRUE(rc_hmap_get(&m, rc_hkey_ptr(area)) == area + 1);
	for (i = 2; i < 20000; i++)
		ASSERT_EQ(rc_hmap_get(&m, rc_hkey_ptr(area + i)) != NULL,
			  i % 2 == 0);
	/* two-word keys: (dev, ino) pairs differ in either word */
	ASSERT_EQ(rc_hmap_put(&m, (struct rc_hkey){ 7, 1 }, area), 0);
	EXPECT_TRUE(rc_hmap_get(&m, (struct rc_hkey){ 1, 7 }) == NULL);
	EXPECT_TRUE(rc_hmap_get(&m, (struct rc_hkey){ 7, 1 }) == area);
	EXPECT_EQ(rc_hmap_put(&m, rc_hkey_ptr(area), NULL), -EINVAL);
	rc_hmap_free(&m);
}

TEST(hmap_removal_keeps_every_other_key_reachable)
{
	struct rc_hmap m = { 0 };
	static char area[4096];
	size_t iter = 0, n = 0;
	int i;

	for (i = 0; i < 4096; i++)
		ASSERT_EQ(rc_hmap_put(&m, rc_hkey_ptr(area + i), area + i), 0);
	/* every third key goes; runs of probes get holes everywhere */
	for (i = 0; i < 4096; i += 3)
		ASSERT_TRUE(rc_hmap_del(&m, rc_hkey_ptr(area + i)) == area + i);
	EXPECT_TRUE(rc_hmap_del(&m, rc_hkey_ptr(area)) == NULL);
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(rc_hmap_get(&m, rc_hkey_ptr(area + i)) != NULL,
			  i % 3 != 0);
	while (rc_hmap_next(&m, &iter))
		n++;
	EXPECT_EQ(n, m.count);
	EXPECT_EQ(m.count, 4096 - 1366);
	rc_hmap_free(&m);
}
