/* ARM semihosting calls: operation in r0, parameter block in r1, `bkpt 0xab` (Thumb). */
#include <stdint.h>
#include <string.h>
#include "semihosting.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_EXIT 0x18

/* SYS_EXIT reasons: QEMU maps ApplicationExit to status 0, anything else to 1. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static int sh_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads and writes the buffers the block points to. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int sh_open(const char *path, int mode)
{
    uint32_t block[3];
    block[0] = (uint32_t)(uintptr_t)path;
    block[1] = (uint32_t)mode;
    block[2] = (uint32_t)strlen(path);
    return sh_call(SYS_OPEN, block);
}

int sh_read_all(int handle, void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    /* SYS_READ returns the number of bytes NOT read. */
    return sh_call(SYS_READ, block) == 0 ? 0 : -1;
}

int sh_write_all(int handle, const void *buf, size_t len)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)len;
    return sh_call(SYS_WRITE, block) == 0 ? 0 : -1;
}

void sh_close(int handle)
{
    uint32_t block[1];
    block[0] = (uint32_t)handle;
    (void)sh_call(SYS_CLOSE, block);
}

void sh_puts(const char *s)
{
    (void)sh_call(SYS_WRITE0, s);
}

void sh_exit(int ok)
{
    /* On AArch32 the SYS_EXIT parameter is the reason itself, not a block. */
    (void)sh_call(SYS_EXIT, (const void *)(uintptr_t)(ok ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}
