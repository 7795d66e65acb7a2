/*
 * Console fan-out. Writers on different CPUs are serialised by one lock so
 * lines do not interleave mid-escape-sequence; a panic takes the consoles
 * without the lock (the holder may be the CPU that died).
 */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86_64/apic.h"
#include "boot/boot_info.h"
#include "drivers/fbcon.h"
#include "drivers/ps2kbd.h"
#include "drivers/serial.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

#define ISA_IRQ_COM1 4

static spinlock_t console_lock = SPINLOCK_INIT;
static int have_kbd;

void console_init_serial(void) { serial_init(); }

void console_init_fb(const struct boot_framebuffer *fb)
{
	if (fb->format == BOOT_FB_NONE || !fb->size)
		return;
	volatile uint32_t *v = mmio_map(fb->base, fb->size, VM_WC);
	if (v && fbcon_init(v, fb) == 0)
		kprintf("console: framebuffer %ux%u, %ux%u text\n", fb->width, fb->height, fbcon_cols(), fbcon_rows());
}

void console_init_keyboard(int has_8042)
{
	have_kbd = has_8042 && ps2kbd_init() == 0;
}

static void write_locked(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
	fbcon_write(s, n);
}

void console_write(const char *s, size_t n)
{
	if (panic_in_progress()) {
		write_locked(s, n);
		return;
	}
	uint64_t f = spin_lock_irqsave(&console_lock);
	write_locked(s, n);
	spin_unlock_irqrestore(&console_lock, f);
}

void console_enable_irqs(uint32_t apic_id)
{
	uint8_t v = VECTOR_LEGACY_FIRST + ISA_IRQ_COM1;
	irq_set_system(v, NULL, NULL, "COM1");
	if (ioapic_route_isa(ISA_IRQ_COM1, v, apic_id) == 0)
		serial_enable_rx_irq();
	else
		kprintf("console: COM1 interrupt not routed; input is polled on the timer tick\n");
}

int console_getc(void)
{
	int c = serial_getc();
	if (c < 0 && have_kbd)
		c = ps2kbd_getc();
	return c;
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}
