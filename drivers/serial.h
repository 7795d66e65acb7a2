/* 16550 UART on COM1, polled: the serial console. */
#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

int serial_init(void);          /* 0, or -1 when no UART answers */
void serial_putc(char c);
int serial_getc(void);          /* non-blocking: a byte or -1 */

#endif
