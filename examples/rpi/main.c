/*
 * mobilec example program for the Raspberry Pi: runs a generated model on a
 * raw input tensor or a PPM/PGM image, prints the top-k classes and the
 * median time per inference.
 *
 *   mobilec_rpi_app (--input raw.bin | --image file.ppm) [--output raw.bin]
 *                   [--labels labels.txt] [--top k] [--repeat n]
 *
 * Built against one model: MOBILEC_MODEL is its C name, MOBILEC_MODEL_UPPER
 * the same in upper case (CMakeLists.txt passes both).
 *
 * Input from any image format: `mobilec run <model> --image photo.jpg
 * --save-input input.bin` writes the exact tensor mobilec feeds the model
 * (BMP, PNG or JPEG decoded, resized and mapped on the host); pass it with
 * --input input.bin. No image decoding is needed in C.
 *
 * Images: binary PPM (P6) or PGM (P5), 8-bit. They are converted to the
 * model's channel count, resized bilinearly (pixel centres aligned) and
 * mapped as `mobilec run --image` does: uint8 q = p, int8 q = p - 128,
 * float32 x = (p - 127.5) / 127.5. (mobilec run --image also area-filters
 * when shrinking, as PIL does; for bit-identical preprocessing feed the raw
 * tensor --save-input writes.) The tensor is laid out as the model's input
 * is: NHWC, or NCHW for an NCHW (ONNX) model.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MOBILEC_STR_(x) #x
#define MOBILEC_STR(x) MOBILEC_STR_(x)
#define MOBILEC_CAT_(a, b) a##b
#define MOBILEC_CAT(a, b) MOBILEC_CAT_(a, b)

#include MOBILEC_STR(MOBILEC_MODEL.h)

/* mobilec_<name>_<fn> and MOBILEC_<NAME>_<macro> of the model built in. */
#define MODEL_FN(fn) MOBILEC_CAT(MOBILEC_CAT(mobilec_, MOBILEC_MODEL), fn)
#define MODEL_MACRO(m) MOBILEC_CAT(MOBILEC_CAT(MOBILEC_, MOBILEC_MODEL_UPPER), m)
#define model_input_t MOBILEC_CAT(MOBILEC_CAT(mobilec_, MOBILEC_MODEL), _input_t)
#define model_output_t MOBILEC_CAT(MOBILEC_CAT(mobilec_, MOBILEC_MODEL), _output_t)

#define IN_H MODEL_MACRO(_INPUT_H)
#define IN_W MODEL_MACRO(_INPUT_W)
#define IN_C MODEL_MACRO(_INPUT_C)
/* 1 for a model whose input is NCHW (an ONNX model: channel planes, one after
 * the other); an NHWC model's header does not define it (0 in #if). */
#if MODEL_MACRO(_INPUT_NCHW)
#define IN_INDEX(y, x, c) (((c) * (size_t)IN_H + (y)) * (size_t)IN_W + (x))
#else
#define IN_INDEX(y, x, c) (((y) * (size_t)IN_W + (x)) * (size_t)IN_C + (c))
#endif
#define IN_BYTES MODEL_MACRO(_INPUT_BYTES)
#define OUT_ELEMENTS MODEL_MACRO(_OUTPUT_ELEMENTS)
#define OUT_BYTES MODEL_MACRO(_OUTPUT_BYTES)

#define MAX_RUNS 10000

/* The two markers around exactly one inference, for instruction counters
 * (e.g. a QEMU plugin) to find by symbol. */
__attribute__((noinline)) void mobilec_bench_start(void) { __asm__ volatile(""); }
__attribute__((noinline)) void mobilec_bench_stop(void) { __asm__ volatile(""); }

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "mobilec_rpi_app: %s%s\n", msg, arg ? arg : "");
    exit(2);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) die("cannot open ", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) die("cannot read ", path);
    buf = (unsigned char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read ", path);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Skips whitespace and '#' comments in a PNM header, then reads a number. */
static long pnm_number(const unsigned char *p, size_t size, size_t *at)
{
    long v = 0;
    int digits = 0;
    while (*at < size) {
        if (p[*at] == '#') {
            while (*at < size && p[*at] != '\n') ++*at;
        } else if (p[*at] == ' ' || p[*at] == '\t' || p[*at] == '\r' || p[*at] == '\n') {
            ++*at;
        } else {
            break;
        }
    }
    while (*at < size && p[*at] >= '0' && p[*at] <= '9' && v < 1000000) {
        v = v * 10 + (p[*at] - '0');
        ++*at;
        ++digits;
    }
    return digits ? v : -1;
}

/* Mapping of one pixel value to the model input (CONTRACT.md, "Images"). */
static double map_pixel(double p)
{
    if (strcmp(MODEL_MACRO(_INPUT_DTYPE), "uint8") == 0) return p;
    if (strcmp(MODEL_MACRO(_INPUT_DTYPE), "int8") == 0) return p - 128.0;
    return (p - 127.5) / 127.5;
}

static void load_image(const char *path, model_input_t *in)
{
    size_t size, at = 2, x, y, c;
    unsigned char *img = read_file(path, &size);
    long w, h, maxval;
    int channels;
    const unsigned char *px;
    if (size < 2 || img[0] != 'P' || (img[1] != '5' && img[1] != '6')) die("not a binary PPM/PGM image: ", path);
    channels = img[1] == '6' ? 3 : 1;
    w = pnm_number(img, size, &at);
    h = pnm_number(img, size, &at);
    maxval = pnm_number(img, size, &at);
    if (w <= 0 || h <= 0 || maxval != 255 || at >= size) die("unsupported PPM/PGM header (8-bit only): ", path);
    ++at; /* the single whitespace byte before the pixels */
    if ((size - at) / (size_t)channels / (size_t)w < (size_t)h) die("truncated image: ", path);
    px = img + at;
    for (y = 0; y < (size_t)IN_H; ++y) {
        /* Bilinear sampling with pixel centres aligned, clamped at the edges. */
        double sy = ((double)y + 0.5) * (double)h / IN_H - 0.5;
        long y0 = (long)floor(sy), y1;
        double fy = sy - (double)y0;
        if (y0 < 0) { y0 = 0; fy = 0.0; }
        y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        for (x = 0; x < (size_t)IN_W; ++x) {
            double sx = ((double)x + 0.5) * (double)w / IN_W - 0.5;
            long x0 = (long)floor(sx), x1;
            double fx = sx - (double)x0;
            if (x0 < 0) { x0 = 0; fx = 0.0; }
            x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            for (c = 0; c < (size_t)IN_C; ++c) {
                double v[4];
                long corner[4][2];
                int k;
                corner[0][0] = y0; corner[0][1] = x0;
                corner[1][0] = y0; corner[1][1] = x1;
                corner[2][0] = y1; corner[2][1] = x0;
                corner[3][0] = y1; corner[3][1] = x1;
                for (k = 0; k < 4; ++k) {
                    const unsigned char *p = px + ((size_t)corner[k][0] * (size_t)w + (size_t)corner[k][1]) * (size_t)channels;
                    if (channels == IN_C) v[k] = p[c];
                    else if (channels == 3) v[k] = (19595.0 * p[0] + 38470.0 * p[1] + 7471.0 * p[2]) / 65536.0; /* RGB -> grey */
                    else v[k] = p[0]; /* grey -> RGB */
                }
                {
                    double top = v[0] + (v[1] - v[0]) * fx, bottom = v[2] + (v[3] - v[2]) * fx;
                    double p = floor(top + (bottom - top) * fy + 0.5);
                    in[IN_INDEX(y, x, c)] = (model_input_t)map_pixel(p);
                }
            }
        }
    }
    free(img);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *input = NULL, *image = NULL, *output = NULL, *labels_path = NULL;
    int top = 5, repeat = 10, i, k;
    static double times[MAX_RUNS];
    static double scores[OUT_ELEMENTS];
    static int order[OUT_ELEMENTS];
    const model_output_t *out;
    char *labels = NULL, *label_at[OUT_ELEMENTS];

    for (i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc) input = argv[++i];
        else if (!strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc) output = argv[++i];
        else if (!strcmp(argv[i], "--labels") && i + 1 < argc) labels_path = argv[++i];
        else if (!strcmp(argv[i], "--top") && i + 1 < argc) top = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else die("usage: mobilec_rpi_app (--input raw.bin | --image file.ppm) [--output raw.bin] [--labels file] [--top k] [--repeat n]", NULL);
    }
    if ((input == NULL) == (image == NULL)) die("give exactly one of --input <raw.bin> and --image <file.ppm>", NULL);
    if (repeat < 1 || repeat > MAX_RUNS) die("--repeat must be 1..10000", NULL);
    if (top < 1) top = 1;
    if (top > OUT_ELEMENTS) top = OUT_ELEMENTS;

    if (input) {
        size_t size;
        unsigned char *raw = read_file(input, &size);
        if (size != IN_BYTES) die("the raw input has the wrong size for this model: ", input);
        memcpy(MODEL_FN(_input)(), raw, size);
        free(raw);
    } else {
        load_image(image, MODEL_FN(_input)());
    }

    /* One counted inference between the markers; the input stays in place
     * for the timing loop only if the model does not overwrite it, so keep a copy. */
    {
        static unsigned char saved[IN_BYTES];
        memcpy(saved, MODEL_FN(_input)(), IN_BYTES);
        mobilec_bench_start();
        if (MODEL_FN(_invoke)() != 0) die("invoke failed", NULL);
        mobilec_bench_stop();
        out = MODEL_FN(_output)();
        for (k = 0; k < OUT_ELEMENTS; ++k) scores[k] = MODEL_MACRO(_OUTPUT_SCALE) * ((double)out[k] - MODEL_MACRO(_OUTPUT_ZERO_POINT));
        if (output) {
            FILE *f = fopen(output, "wb");
            if (!f || fwrite(out, 1, OUT_BYTES, f) != OUT_BYTES || fclose(f) != 0) die("cannot write ", output);
        }
        for (i = 0; i < repeat; ++i) {
            double t0;
            memcpy(MODEL_FN(_input)(), saved, IN_BYTES);
            t0 = now_ms();
            MODEL_FN(_invoke)();
            times[i] = now_ms() - t0;
        }
    }

    if (labels_path) {
        size_t size, p;
        int n = 0;
        labels = (char *)read_file(labels_path, &size);
        labels[size] = '\0';
        for (p = 0; p < size && n < OUT_ELEMENTS; ++n) {
            label_at[n] = labels + p;
            while (p < size && labels[p] != '\n') ++p;
            if (p > 0 && labels[p - 1] == '\r') labels[p - 1] = '\0';
            if (p < size) labels[p++] = '\0';
        }
        for (; n < OUT_ELEMENTS; ++n) label_at[n] = NULL;
    }

    for (k = 0; k < OUT_ELEMENTS; ++k) order[k] = k;
    for (i = 0; i < top; ++i) { /* partial selection sort: k is small */
        int best = i, j;
        for (j = i + 1; j < OUT_ELEMENTS; ++j) if (scores[order[j]] > scores[order[best]]) best = j;
        k = order[i]; order[i] = order[best]; order[best] = k;
    }
    printf("top-%d:\n", top);
    for (i = 0; i < top; ++i) {
        printf("  %5d  %.6f  %s\n", order[i], scores[order[i]], labels && label_at[order[i]] ? label_at[order[i]] : "");
    }
    qsort(times, (size_t)repeat, sizeof times[0], by_value);
    printf("median %.3f ms per inference over %d runs\n", repeat % 2 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2, repeat);
    free(labels);
    return 0;
}
