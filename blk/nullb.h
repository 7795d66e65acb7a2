/* The null block device (blk/nullb.c): nullb0 and nullb1 from the command line keys. */
#ifndef BLK_NULLB_H
#define BLK_NULLB_H

void nullb_init(void);

#endif
