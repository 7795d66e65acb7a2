/*
 * COM1 16550 UART, 115200 8N1, FIFOs on. The console polls; the receive
 * interrupt, once enabled, only wakes a halted CPU (OUT2 gates it to the PIC/IOAPIC).
 * Register offsets from the 16550D data sheet.
 */
#include <stdint.h>

#include "arch/x86_64/io.h"
#include "drivers/serial.h"

#define COM1 0x3f8
#define UART_DATA 0     /* RBR/THR; DLL when LCR.DLAB */
#define UART_IER  1     /* DLM when LCR.DLAB */
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_SCR  7
#define LCR_8N1   0x03
#define LCR_DLAB  0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b
#define IER_RX_AVAILABLE 0x01
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define DIVISOR_115200 1   /* 1.8432 MHz / 16 / 115200 */
#define TX_SPIN_LIMIT  100000 /* about 100 ms at ~1 us per port read: never hang on a dead UART */

static int present;

int serial_init(void)
{
	/* The scratch register keeps what is written to it on a real 16550. */
	outb(COM1 + UART_SCR, 0x5a);
	if (inb(COM1 + UART_SCR) != 0x5a)
		return -1;
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DATA, DIVISOR_115200);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	present = 1;
	return 0;
}

void serial_putc(char c)
{
	if (!present)
		return;
	for (int i = 0; i < TX_SPIN_LIMIT && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); i++)
		cpu_relax();
	outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_enable_rx_irq(void)
{
	if (present)
		outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

int serial_getc(void)
{
	if (!present || !(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}
