/* 16550 UART on COM1: the serial console. */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

int serial_init(void);          /* 0, or -1 when no UART answers */
void serial_putc(char c);
int serial_getc(void);          /* non-blocking: a byte or -1 */
/* Raise the UART's interrupt when a byte arrives (IRQ 4): it only wakes the
 * CPU from hlt; bytes are still read by serial_getc. */
void serial_enable_rx_irq(void);

#endif
