/*
 * mobilec bare-metal example: one inference of a compiled model on a
 * Cortex-M core, the top class and its score printed with printf, and the
 * core cycles of the inference from the DWT cycle counter.
 *
 * Built against one model: CMakeLists.txt writes mobilec_firmware_model.h
 * (from mobilec_firmware_model.h.in), which includes the generated <name>.h
 * and names its functions and macros model_invoke, MODEL_INPUT_BYTES, ...
 *
 * The input tensor is raw bytes in the model's input layout and dtype
 * (NHWC, int8/uint8/float32 little-endian, MOBILEC_<NAME>_INPUT_BYTES long)
 * such as `mobilec run <model> --image photo.png --save-input input.bin`
 * writes: the image is decoded, resized and mapped on the host, so no image
 * code runs here. It comes either
 *   - compiled in (MOBILEC_INPUT_COMPILED_IN: CMake -DMOBILEC_INPUT=<file>
 *     puts the file into flash with .incbin, see input.S), or
 *   - read at run time over semihosting from MOBILEC_INPUT_FILE (a path on
 *     the host, relative to QEMU's or the debugger's working directory).
 * On a product, fill mobilec_<name>_input() from the camera or sensor
 * instead, quantized as the header's MOBILEC_<NAME>_INPUT_SCALE and
 * _ZERO_POINT say.
 *
 * printf goes through _write (syscalls.c): semihosting under QEMU or a
 * debugger, a UART on a product.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The model under fixed names (model_invoke, MODEL_INPUT_BYTES, ...). */
#include "mobilec_firmware_model.h"

#if !defined(MOBILEC_INPUT_COMPILED_IN)
#include "semihosting.h"
#if !defined(MOBILEC_INPUT_FILE)
#define MOBILEC_INPUT_FILE "input.bin"
#endif
#endif

int main(void);

/*
 * DWT cycle counter (Armv7-M and Armv8-M): TRCENA in DEMCR powers the DWT,
 * CYCCNTENA in DWT_CTRL starts CYCCNT, which then counts core clock cycles.
 * On a board the difference around invoke() is the inference's cycles
 * (divide by the core clock for seconds). QEMU (7.2) models no DWT: DEMCR
 * and the DWT registers read as zero and ignore writes, without a fault
 * (-d guest_errors,unimp logs each access), so under QEMU the example prints
 * "cycles 0" (`mobilec run --target cortex-m…` counts instructions with a
 * QEMU plugin instead).
 */
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CTRL_CYCCNTENA 1u
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)

static void cycle_counter_start(void)
{
    DEMCR |= DEMCR_TRCENA;
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    /* The Cortex-M7 locks the DWT against software writes until this key
     * is written; on the M3/M4 the write is ignored. */
    DWT_LAR = 0xC5ACCE55u;
#endif
    DWT_CYCCNT = 0u;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

#if defined(MOBILEC_INPUT_COMPILED_IN)
/* input.S: the raw tensor file, between these two symbols. */
extern const unsigned char mobilec_input_start[], mobilec_input_end[];

static int load_input(void)
{
    size_t bytes = (size_t)(mobilec_input_end - mobilec_input_start);
    if (bytes != MODEL_INPUT_BYTES) {
        printf("the compiled-in input has %u bytes, the model takes %u\n", (unsigned)bytes, (unsigned)MODEL_INPUT_BYTES);
        return -1;
    }
    memcpy(model_input(), mobilec_input_start, bytes);
    return 0;
}
#else
static int load_input(void)
{
    int h = sh_open(MOBILEC_INPUT_FILE, SH_MODE_RB);
    int rc;
    if (h < 0) {
        printf("cannot open %s on the host (semihosting)\n", MOBILEC_INPUT_FILE);
        return -1;
    }
    /* Reads exactly the input's size; a shorter file is an error. */
    rc = sh_read_all(h, model_input(), MODEL_INPUT_BYTES);
    sh_close(h);
    if (rc != 0) {
        printf("%s is shorter than the model's %u input bytes\n", MOBILEC_INPUT_FILE, (unsigned)MODEL_INPUT_BYTES);
    }
    return rc;
}
#endif

/* printf of newlib-nano has no %f unless linked with -u _printf_float
 * (about 10 KB more flash): the score is printed as a fixed-point decimal,
 * in single precision, which the FPU of the M4/M7/M55 does in hardware
 * (double would pull in about 2 KB of software floating point). */
static void print_score(float score)
{
    float mag = score < 0.0f ? -score : score;
    unsigned long whole = (unsigned long)mag;
    unsigned long micro = (unsigned long)((mag - (float)whole) * 1e6f + 0.5f);
    if (micro >= 1000000ul) {
        whole += 1ul;
        micro -= 1000000ul;
    }
    printf("%s%lu.%06lu", score < 0.0f ? "-" : "", whole, micro);
}

int main(void)
{
    const model_output_t *out;
    uint32_t start, cycles;
    int k, best = 0, rc;

    if (load_input() != 0) {
        return 1;
    }
    cycle_counter_start();
    start = DWT_CYCCNT;
    rc = model_invoke();
    cycles = DWT_CYCCNT - start;
    if (rc != 0) {
        printf("invoke failed (%d)\n", rc);
        return 1;
    }

    /* The output scale is positive, so the largest raw value is the top class. */
    out = model_output();
    for (k = 1; k < MODEL_OUTPUT_ELEMENTS; ++k) {
        if (out[k] > out[best]) {
            best = k;
        }
    }
    printf("top class %d score ", best);
    print_score((float)MODEL_OUTPUT_SCALE * ((float)out[best] - (float)MODEL_OUTPUT_ZERO_POINT));
    if (strcmp(MODEL_OUTPUT_DTYPE, "float32") != 0) {
        printf(" (raw %ld)", (long)out[best]); /* the quantized value */
    }
    printf("\n");
    printf("cycles %lu\n", (unsigned long)cycles);
    return 0;
}
