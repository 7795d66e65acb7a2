/*
 * Lock-free singly linked lists for hand-overs between CPUs: any number of
 * producers push; one consumer takes the whole list at once (and gets it
 * oldest first). Embed a struct llist_node and use container_of.
 */
#ifndef KERNEL_LLIST_H
#define KERNEL_LLIST_H

#include <stdbool.h>
#include <stddef.h>

struct llist_node {
	struct llist_node *next;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Pushes n; true when the list was empty (the consumer may need a kick). */
static inline bool llist_push(struct llist_node **head, struct llist_node *n)
{
	struct llist_node *old = __atomic_load_n(head, __ATOMIC_RELAXED);
	do
		n->next = old;
	while (!__atomic_compare_exchange_n(head, &old, n, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return old == NULL;
}

/* Takes everything, oldest first. */
static inline struct llist_node *llist_take_all(struct llist_node **head)
{
	struct llist_node *n = __atomic_exchange_n(head, NULL, __ATOMIC_ACQUIRE), *fifo = NULL;
	while (n) {
		struct llist_node *next = n->next;
		n->next = fifo;
		fifo = n;
		n = next;
	}
	return fifo;
}

static inline bool llist_empty(struct llist_node *const *head)
{
	return __atomic_load_n(head, __ATOMIC_RELAXED) == NULL;
}

#endif
