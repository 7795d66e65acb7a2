/* kernel/spinlock.h on the host: the first-try fast path and the contended
 * slow path (spin_lock_contended) of spin_lock and spin_lock_irqsave, with
 * real threads racing on a counter that only the lock keeps exact, and
 * trylock on a held and a free lock. (HOST_TEST: cli/sti are no-ops.) */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/spinlock.h"

#define THREADS 4
#define ROUNDS 200000

static spinlock_t lock = SPINLOCK_INIT;
static volatile uint64_t counter; /* a read-modify-write the lock alone makes atomic */
static volatile unsigned started;

static void *hammer(void *arg)
{
	bool irqsave = (uintptr_t)arg & 1;
	__atomic_add_fetch(&started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < THREADS) /* all at once: contention */
		;
	for (unsigned i = 0; i < ROUNDS; i++) {
		if (irqsave) {
			uint64_t f = spin_lock_irqsave(&lock);
			uint64_t v = counter;
			counter = v + 1;
			spin_unlock_irqrestore(&lock, f);
		} else {
			spin_lock(&lock);
			uint64_t v = counter;
			counter = v + 1;
			spin_unlock(&lock);
		}
	}
	return NULL;
}

static void test_racing_threads_count_exactly(void **state)
{
	(void)state;
	pthread_t th[THREADS];
	counter = 0;
	started = 0;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)i), 0); /* both kinds of lock */
	for (unsigned i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(counter, (uint64_t)THREADS * ROUNDS);
	assert_int_equal(lock.locked, 0);
}

static void test_trylock(void **state)
{
	(void)state;
	spinlock_t l = SPINLOCK_INIT;
	assert_true(spin_trylock(&l));
	assert_false(spin_trylock(&l)); /* held: refused, not taken twice */
	spin_unlock(&l);
	uint64_t f = spin_lock_irqsave(&l);
	assert_false(spin_trylock(&l));
	spin_unlock_irqrestore(&l, f);
	assert_true(spin_trylock(&l));
	spin_unlock(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_racing_threads_count_exactly),
		cmocka_unit_test(test_trylock),
	};
	return cmocka_run_group_tests_name("spinlock", tests, NULL, NULL);
}
