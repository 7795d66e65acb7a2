/*
 * The console: every byte written goes to the serial port and the
 * framebuffer; input comes from the serial port and the PS/2 keyboard,
 * in the same byte language (arrow keys arrive as ANSI escape sequences).
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdint.h>
#include <stddef.h>
#include <stdint.h>

struct boot_framebuffer;

void console_init_serial(void);
void console_init_fb(const struct boot_framebuffer *fb);
void console_init_keyboard(int has_8042);
/* Routes the serial receive interrupt to this CPU so input wakes it from hlt
 * (the PS/2 keyboard stays polled, on the timer tick). */
void console_enable_irqs(uint32_t apic_id);
void console_write(const char *s, size_t n);
int console_getc(void); /* non-blocking: a byte or -1 */
/* printf to the consoles without malloc or stdio: safe in panics and early boot. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
