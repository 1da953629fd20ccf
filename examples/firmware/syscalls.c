/*
 * The system calls newlib(-nano) needs for printf and malloc on bare metal.
 *
 * stdout and stderr go to the host over ARM semihosting (the console
 * handle ":tt"), which QEMU answers with -semihosting-config enable=on and a
 * debugger (OpenOCD `arm semihosting enable`, J-Link, pyOCD) answers on a
 * board. Without a debugger attached, a semihosting call stops a real core
 * (BKPT): on a product, make _write send the bytes to a UART instead, e.g.
 *
 *     for (i = 0; i < len; ++i) { while (!(UART0->STATE & TX_READY)) {} UART0->DATA = buf[i]; }
 *
 * (the register names are your board's; on the MPS2 boards the CMSDK UART0
 * sits at 0x40004000 and QEMU shows it with -serial stdio).
 *
 * _sbrk hands out the heap the linker script reserves between .bss and the
 * stack (`end` .. __heap_limit) and fails with ENOMEM past it, so malloc can
 * never run into the stack.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "semihosting.h"

/* newlib calls these by name; it declares none of them in a public header. */
void *_sbrk(ptrdiff_t increment);
int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
void _exit(int status);
int _kill(int pid, int sig);
int _getpid(void);

/* sections.ld: the heap runs from `end` (newlib's name for it) to __heap_limit. */
extern char end[], __heap_limit[];

void *_sbrk(ptrdiff_t increment)
{
    static char *brk = end;
    char *prev = brk;
    if (increment > __heap_limit - brk || increment < end - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += increment;
    return prev;
}

/* Semihosting console handles, opened on first use: ":tt" with mode 4 ("w")
 * is the host's stdout, mode 8 ("a") its stderr. */
static int console(int fd)
{
    static int handle[3] = {-1, -1, -1};
    if (handle[fd] < 0) {
        handle[fd] = sh_open(":tt", fd == 1 ? 4 : 8);
    }
    return handle[fd];
}

int _write(int fd, const char *buf, int len)
{
    int h;
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    h = console(fd);
    if (h < 0 || sh_write_all(h, buf, (size_t)len) != 0) {
        errno = EIO;
        return -1;
    }
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return 0; /* end of file: no console input */
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR; /* a terminal: stdout is line-buffered */
    return 0;
}

int _isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

void _exit(int status)
{
    sh_exit(status == 0);
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}
