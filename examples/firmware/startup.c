/*
 * Minimal Cortex-M start-up: the vector table (initial stack pointer + reset
 * handler) and a reset handler that enables the FPU, initialises .data and
 * .bss from the linker script's symbols, runs main() and ends the emulation.
 * No interrupts are enabled, so the table stops at the system exceptions.
 */
#include <stdint.h>
#include <string.h>
#include "semihosting.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);
void Reset_Handler(void);

/* Any fault or unexpected exception: say so and stop with a failure status
 * rather than spin until the host's timeout. */
static void Fault_Handler(void)
{
    sh_puts("mobilec firmware: fault or unexpected exception\n");
    sh_exit(0);
}

__attribute__((section(".vectors"), used)) const uintptr_t mobilec_vectors[16] = {
    (uintptr_t)__stack_top,
    (uintptr_t)Reset_Handler,
    (uintptr_t)Fault_Handler, /* NMI */
    (uintptr_t)Fault_Handler, /* HardFault */
    (uintptr_t)Fault_Handler, /* MemManage */
    (uintptr_t)Fault_Handler, /* BusFault */
    (uintptr_t)Fault_Handler, /* UsageFault */
    (uintptr_t)Fault_Handler, /* SecureFault (v8-M) */
    0, 0, 0,
    (uintptr_t)Fault_Handler, /* SVCall */
    (uintptr_t)Fault_Handler, /* DebugMonitor */
    0,
    (uintptr_t)Fault_Handler, /* PendSV */
    (uintptr_t)Fault_Handler, /* SysTick */
};

/* Kept out of line so no FP/MVE instruction the compiler may pick for these
 * loops (GCC 12 vectorises at -O2) runs before the FPU is enabled. */
__attribute__((noinline)) static void init_memory(void)
{
    memcpy(__data_start, __data_load, (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
    memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));
}

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to CP10/CP11, which also covers MVE on Cortex-M55.
     * On the Armv8-M cores with the Security Extension (M33 on mps2-an505,
     * M55 on mps3-an547) the core resets Secure and stays Secure, so this
     * (the Secure CPACR) is the one that counts; NSACR only gates
     * Non-secure code, which never runs here. */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    init_memory();
    sh_exit(main() == 0);
}
