/* SPDX-License-Identifier: MIT */
/*
 * A queue of pumps waiting for a slot of a resource the pumps of a copy
 * share: a pipe (pipe.c) or bytes of the data budget (budget.c).  A pump
 * waits only with nothing in flight, on one queue at a time, and is
 * started again (pump.c, rc_pump_wake) first come first served when the
 * resource is given back.
 */
#include "pump_int.h"

void rc_waitq_add(struct rc_waitq *q, struct rc_pump *pump)
{
	if (pump->waiting)
		return;
	pump->waiting = true;
	pump->wait_next = NULL;
	if (q->tail)
		q->tail->wait_next = pump;
	else
		q->head = pump;
	q->tail = pump;
	q->n++;
	q->waits++;
}

void rc_waitq_del(struct rc_waitq *q, struct rc_pump *pump)
{
	struct rc_pump **pp, *prev = NULL;

	if (!pump->waiting)
		return;
	for (pp = &q->head; *pp; prev = *pp, pp = &(*pp)->wait_next) {
		if (*pp != pump)
			continue;
		*pp = pump->wait_next;
		if (q->tail == pump)
			q->tail = prev;
		q->n--;
		break;
	}
	pump->waiting = false;
	pump->wait_next = NULL;
}
