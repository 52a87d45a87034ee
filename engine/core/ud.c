/* SPDX-License-Identifier: MIT */
/*
 * user_data for observers: the harness and the tests match CQEs and SQEs
 * to records through these, so the layout stays the engine's (core.h).
 */
#include "core.h"

uint64_t rc_ud_encode(const void *record, enum rc_ud_tag tag, uint32_t life)
{
	return rc_ud_make(record, tag, life);
}

void rc_ud_decode(uint64_t user_data, struct rc_ud *ud)
{
	ud->record = (const void *)(uintptr_t)(user_data & RC_UD_ADDR_MASK &
					       ~RC_UD_TAG_MASK);
	ud->tag = (unsigned)(user_data & RC_UD_TAG_MASK);
	ud->life = (uint16_t)(user_data >> RC_UD_LIFE_SHIFT);
}

uint32_t rc_op_life(const struct rc_op *op)
{
	return op->gen;
}

uint64_t rc_op_user_data(const struct rc_op *op, enum rc_ud_tag tag)
{
	return rc_op_ud(op, tag);
}
