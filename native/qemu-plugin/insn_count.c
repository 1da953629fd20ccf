/*
 * insn_count: a QEMU TCG plugin (API v1, QEMU 7.2) that counts the guest
 * instructions executed between two marker addresses.
 *
 *   -plugin insn_count.so,start=0x...,stop=0x...,out=/path/counts.txt
 *
 * A window opens when the instruction at `start` executes (that instruction
 * is counted) and closes when the instruction at `stop` executes (not
 * counted). Every window's count is written to `out`, one decimal per line,
 * when the guest exits; a window still open at exit is not written.
 *
 * Exactness: a translated block (TB) that holds no marker cannot open or
 * close the window, so one callback at its start adds its whole instruction
 * count when the window is open. A TB holding a marker (at its start or in
 * its middle) gets a callback on every instruction instead, so the window
 * opens and closes on the exact instruction. Blocks never end early between
 * the markers of an inference (no syscalls, no faults), so the count is exact
 * and repeatable. Single vCPU (user mode, one thread): plain counters.
 *
 * Debian ships no qemu-plugin.h, so the few API v1 declarations used are
 * written out below (from QEMU 7.2 include/qemu/qemu-plugin.h).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

#define MAX_WINDOWS 4096

static uint64_t start_addr, stop_addr;
static char out_path[4096];
static int open_window;
static uint64_t count;
static uint64_t windows[MAX_WINDOWS];
static size_t n_windows;
static int overflow;

/* Whole-TB callback: userdata is the TB's instruction count. */
static void tb_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    if (open_window) count += (uint64_t)(uintptr_t)udata;
}

/* Per-instruction callback inside marker TBs: userdata is the insn address. */
static void insn_exec(unsigned int vcpu, void *udata)
{
    uint64_t pc = (uint64_t)(uintptr_t)udata;
    (void)vcpu;
    if (!open_window && pc == start_addr) {
        open_window = 1;
        count = 0;
    } else if (open_window && pc == stop_addr) {
        open_window = 0;
        if (n_windows < MAX_WINDOWS) windows[n_windows++] = count;
        else overflow = 1;
        return;
    }
    if (open_window) count++;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    int has_marker = 0;
    (void)id;
    for (i = 0; i < n; i++) {
        uint64_t pc = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
        if (pc == start_addr || pc == stop_addr) has_marker = 1;
    }
    if (!has_marker) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
        return;
    }
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)pc);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    FILE *f = fopen(out_path, "w");
    size_t i;
    (void)id;
    (void)udata;
    if (!f) {
        fprintf(stderr, "insn_count: cannot write %s\n", out_path);
        return;
    }
    for (i = 0; i < n_windows; i++) fprintf(f, "%" PRIu64 "\n", windows[i]);
    if (overflow) fprintf(f, "overflow\n");
    fclose(f);
}

static int parse_addr(const char *s, uint64_t *v)
{
    char *end;
    *v = strtoull(s, &end, 0);
    return *s != '\0' && *end == '\0';
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    int i, have_start = 0, have_stop = 0;
    (void)info;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "start=", 6) == 0) have_start = parse_addr(a + 6, &start_addr);
        else if (strncmp(a, "stop=", 5) == 0) have_stop = parse_addr(a + 5, &stop_addr);
        else if (strncmp(a, "out=", 4) == 0 && strlen(a + 4) < sizeof out_path) strcpy(out_path, a + 4);
        else {
            fprintf(stderr, "insn_count: unknown argument '%s' (want start=,stop=,out=)\n", a);
            return -1;
        }
    }
    if (!have_start || !have_stop || out_path[0] == '\0' || start_addr == stop_addr) {
        fprintf(stderr, "insn_count: need distinct start=0x.. and stop=0x.. addresses and out=<file>\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
