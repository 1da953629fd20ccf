/*
 * ARM semihosting (the debug-agent calls QEMU answers with
 * `-semihosting-config enable=on,target=native`): host files and exit.
 * Paths are relative to QEMU's working directory.
 */
#ifndef MOBILEC_FW_SEMIHOSTING_H
#define MOBILEC_FW_SEMIHOSTING_H

#include <stddef.h>

/* SYS_OPEN modes (ISO C fopen equivalents). */
#define SH_MODE_RB 1
#define SH_MODE_WB 5

/* Returns a handle, or -1 when the host cannot open the file. */
int sh_open(const char *path, int mode);
/* Returns 0 when all `len` bytes were read / written. */
int sh_read_all(int handle, void *buf, size_t len);
int sh_write_all(int handle, const void *buf, size_t len);
void sh_close(int handle);
/* Writes a NUL-terminated string to the host's debug console. */
void sh_puts(const char *s);
/* Ends the emulation: QEMU exits with status 0 when ok, 1 otherwise. */
void sh_exit(int ok) __attribute__((noreturn));

#endif
