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
 * Estimated cycles (Cortex-M3/M4, optional `cycles=m4` or `cycles=m3`):
 * every line then reads "<instructions> <cycles>". At translation time each
 * Thumb/Thumb-2 instruction's bytes are decoded into a class whose weight is
 * taken from Arm's instruction timing tables (Cortex-M4 TRM, "Processor
 * instruction timings"; Cortex-M3 TRM for the m3 differences), and the
 * weights of a TB are summed once, so execution costs one add per TB as for
 * instructions. The model, and what it does not model:
 *   - zero flash/RAM wait states, no bus contention (TRM tables assume it);
 *   - P (pipeline refill of a taken branch) = 2, inside the TRM's 1..3;
 *   - data processing, MOVW/MOVT, bit-field, saturate, pack, SIMD add: 1;
 *     MUL 1; MLA/MLS 1 (m3: 2); SMULL/UMULL/SMLAL/UMLAL 1 (m3: 5, 7, the
 *     upper bounds of the M3's early-terminating 3..5 and 4..7); the DSP
 *     multiplies (SMLAD, SMUAD, SMLSD, SMMLA, SMMLAR, SMLA<x><y>...) 1;
 *     SDIV/UDIV a fixed 7 (the TRM's 2..12 depends on operand values);
 *   - single load (LDR, LDRB, LDRH, LDRSB, LDRSH) 2, or 1 when it
 *     immediately follows a single load (the TRM's load pipelining), with no
 *     dependency analysis: a load whose address is the previous load's result
 *     also costs 1, and the extra cycle of an address computed by the
 *     previous data operation is not charged; single store 1; LDRD/STRD 3;
 *     LDM/STM/PUSH/POP 1+N (N registers, PC included), +P when PC is loaded;
 *     LDR PC 2+P; TBB/TBH 2+P;
 *   - B, BL, BX, BLX, MOV/ADD PC 1+P; a conditional branch (B<c>, CBZ,
 *     CBNZ, or any PC write inside an IT block) 1 when not taken, 1+P when
 *     taken; IT 0 (folded); a conditional instruction that fails costs as
 *     if it executed;
 *   - FPU: VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/VCVT/VMOV 1, VMLA/VMLS/VNMLA/
 *     VNMLS/VFMA/VFMS/VFNMA/VFNMS 3, VDIV/VSQRT 14, VLDR/VSTR 2,
 *     VLDM/VSTM/VPUSH/VPOP 1+N (N words), VMOV two core registers 2,
 *     VMRS/VMSR 1;
 *   - anything else (hints, barriers, system): 1.
 * Taken or not: a TB ends at a branch, so the branch was taken iff the next
 * TB executed does not start at the branch's fall-through address; the TB
 * callback keeps the last TB's fall-through address and whether it ended in
 * a conditional branch, and charges P on entry to the next TB. A TB that
 * ends without a branch (size limit) and falls through into a TB starting
 * with a load keeps the load pipelining across the boundary.
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
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

#define MAX_WINDOWS 4096

/* Pipeline refill of a taken branch, cycles (TRM: 1..3). */
#define P 2
/* SDIV/UDIV: fixed estimate (TRM: 2..12 depending on the operands). */
#define DIV_CYCLES 7

enum model { MODEL_NONE, MODEL_M3, MODEL_M4 };

static uint64_t start_addr, stop_addr;
static char out_path[4096];
static enum model model;
static int open_window;
static uint64_t count, cycles;
static uint64_t windows[MAX_WINDOWS], window_cycles[MAX_WINDOWS];
static size_t n_windows;
static int overflow;

/* What one instruction costs and how it ends a TB. */
struct insn_cost {
    unsigned cycles;  /* static weight (branch penalty included when always taken) */
    int writes_pc;    /* a branch of any kind */
    int conditional;  /* conditional branch: +P only when taken */
    int single_load;  /* LDR/LDRB/LDRH/LDRSB/LDRSH (pipelines with a following one) */
};

/* One translated block: its static sum and what its successor needs. */
struct tb_info {
    uint64_t start, fallthrough;
    uint64_t n, cycles;
    int ends_conditional; /* last instruction is a conditional branch */
    int ends_load;        /* last instruction is a single load (and no branch) */
    int starts_load;      /* first instruction is a single load */
};

/* Per-instruction callback data inside marker TBs. */
struct insn_info {
    const struct tb_info *tb;
    uint64_t pc;
    unsigned cycles;
    int first;
};

/* The TB that executed last (NULL before the first). */
static uint64_t last_fallthrough;
static int last_conditional, last_load;

static unsigned popcount16(unsigned v)
{
    unsigned n = 0;
    for (v &= 0xffffu; v; v &= v - 1) n++;
    return n;
}

/* Coprocessor space (FPv4-SP / FPv5 through CP10/CP11). */
static void decode_coproc(unsigned hw1, unsigned hw2, struct insn_cost *c)
{
    unsigned cp = (hw2 >> 8) & 0xf;
    c->cycles = 1;
    if (cp != 10 && cp != 11) return;
    if ((hw1 & 0xee00u) == 0xec00u) {
        /* Extension register load/store, and 64-bit core transfers. */
        unsigned op = (hw1 >> 4) & 0x1f;
        if ((op & 0x1e) == 0x04) c->cycles = 2; /* VMOV two core registers */
        else if ((op & 0x12) == 0x10) c->cycles = 2; /* VLDR/VSTR: P=1, W=0 */
        else c->cycles = 1 + (hw2 & 0xff); /* VLDM/VSTM/VPUSH/VPOP: 1 + words */
        return;
    }
    if ((hw1 & 0xef00u) == 0xee00u && (hw2 & 0x10u) == 0) {
        /* VFP data processing: opc1 = hw1 bits 7,5,4 (bit 6 is D). */
        unsigned opc1 = ((hw1 >> 4) & 0x3) | ((hw1 >> 5) & 0x4);
        switch (opc1) {
        case 0: /* VMLA, VMLS */
        case 1: /* VNMLA, VNMLS */
        case 5: /* VFNMA, VFNMS */
        case 6: /* VFMA, VFMS */
            c->cycles = 3;
            break;
        case 4: /* VDIV */
            c->cycles = 14;
            break;
        case 7: /* others: VSQRT is opc2 = 0001 with opc3 = 11 */
            c->cycles = ((hw1 & 0xf) == 1 && (hw2 & 0xc0u) == 0xc0u) ? 14 : 1;
            break;
        default: /* VMUL, VNMUL, VADD, VSUB */
            c->cycles = 1;
        }
    }
    /* VMOV core <-> single, VMRS, VMSR: 1 */
}

static void decode32(unsigned hw1, unsigned hw2, struct insn_cost *c)
{
    unsigned op1 = (hw1 >> 11) & 3, op2 = (hw1 >> 4) & 0x7f;
    c->cycles = 1;
    if (op1 == 1) {
        if ((op2 & 0x64) == 0x00) {
            /* LDM/STM (IA, DB): 1+N, +P when PC is loaded */
            unsigned op = (hw1 >> 7) & 3;
            if (op == 1 || op == 2) {
                c->cycles = 1 + popcount16(hw2);
                if ((hw1 & 0x10u) && (hw2 & 0x8000u)) {
                    c->cycles += P;
                    c->writes_pc = 1;
                }
            }
        } else if ((op2 & 0x64) == 0x04) {
            /* load/store dual, exclusive, table branch */
            if ((hw1 & 0xfff0u) == 0xe8d0u && (hw2 & 0xffe0u) == 0xf000u) {
                c->cycles = 2 + P; /* TBB, TBH */
                c->writes_pc = 1;
            } else if ((hw1 & 0x0120u) != 0) {
                c->cycles = 3; /* LDRD, STRD: 1 + 2 */
            } else {
                c->cycles = 2; /* LDREX, STREX and their byte/halfword forms */
            }
        } else if ((op2 & 0x60) == 0x20) {
            c->cycles = 1; /* data processing, shifted register */
        } else {
            decode_coproc(hw1, hw2, c);
        }
        return;
    }
    if (op1 == 2) {
        if ((hw2 & 0x8000u) == 0) return; /* data processing, immediate: 1 */
        if ((hw2 & 0x5000u) == 0x0000u) {
            if ((hw1 & 0x0380u) != 0x0380u) {
                c->writes_pc = 1; /* B<c>.W */
                c->conditional = 1;
            }
            return; /* else MSR, MRS, hints, barriers: 1 */
        }
        if (hw2 & 0x1000u) { /* B.W, BL */
            c->cycles = 1 + P;
            c->writes_pc = 1;
        }
        return;
    }
    /* op1 == 3 */
    if ((op2 & 0x71) == 0x00) {
        c->cycles = 1; /* store single */
    } else if ((op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05) {
        /* LDRB/LDRSB, LDRH/LDRSH, LDR (Rt = PC: PLD/PLI hints, or LDR PC) */
        unsigned rt = (hw2 >> 12) & 0xf;
        if (rt == 15 && (op2 & 0x67) != 0x05) {
            c->cycles = 1; /* preload hint */
        } else if (rt == 15) {
            c->cycles = 2 + P;
            c->writes_pc = 1;
        } else {
            c->cycles = 2;
            c->single_load = 1;
        }
    } else if ((op2 & 0x70) == 0x20) {
        c->cycles = 1; /* data processing, register; parallel add/sub; misc */
    } else if ((op2 & 0x78) == 0x30) {
        /* multiply, multiply accumulate, absolute difference */
        unsigned op = (hw1 >> 4) & 7, op_2 = (hw2 >> 4) & 3, ra = (hw2 >> 12) & 0xf;
        c->cycles = 1;
        if (model == MODEL_M3 && op == 0 && !(op_2 == 0 && ra == 15)) c->cycles = 2; /* MLA, MLS */
    } else if ((op2 & 0x78) == 0x38) {
        /* long multiply, long multiply accumulate, divide */
        unsigned op = (hw1 >> 4) & 7;
        if (op == 1 || op == 3) c->cycles = DIV_CYCLES;
        else if (model == MODEL_M3) c->cycles = (op == 0 || op == 2) ? 5 : 7;
        else c->cycles = 1;
    } else if (op2 & 0x40) {
        decode_coproc(hw1, hw2, c);
    }
}

static void decode16(unsigned hw, struct insn_cost *c)
{
    c->cycles = 1;
    if ((hw & 0xfc00u) == 0x4400u) {
        /* special data processing and branch exchange */
        unsigned op = (hw >> 8) & 3;
        if (op == 3 || (op != 1 && ((hw & 0x87u) == 0x87u))) { /* BX/BLX, or ADD/MOV PC */
            c->cycles = 1 + P;
            c->writes_pc = 1;
        }
    } else if ((hw & 0xf800u) == 0x4800u) {
        c->cycles = 2; /* LDR literal */
        c->single_load = 1;
    } else if ((hw & 0xf000u) == 0x5000u) {
        if (((hw >> 9) & 7) >= 3) { /* LDRSB, LDR, LDRH, LDRB, LDRSH */
            c->cycles = 2;
            c->single_load = 1;
        }
    } else if ((hw & 0xe000u) == 0x6000u || (hw & 0xf000u) == 0x8000u || (hw & 0xf000u) == 0x9000u) {
        if (hw & 0x0800u) { /* LDR/LDRB/LDRH immediate, LDR SP-relative */
            c->cycles = 2;
            c->single_load = 1;
        }
    } else if ((hw & 0xf000u) == 0xb000u) {
        if ((hw & 0x0e00u) == 0x0400u) { /* PUSH */
            c->cycles = 1 + popcount16(hw & 0xffu) + ((hw >> 8) & 1);
        } else if ((hw & 0x0e00u) == 0x0c00u) { /* POP */
            c->cycles = 1 + popcount16(hw & 0xffu) + ((hw >> 8) & 1);
            if (hw & 0x100u) {
                c->cycles += P;
                c->writes_pc = 1;
            }
        } else if ((hw & 0x0500u) == 0x0100u) { /* CBZ, CBNZ */
            c->writes_pc = 1;
            c->conditional = 1;
        } else if ((hw & 0x0f00u) == 0x0f00u && (hw & 0xfu) != 0) {
            c->cycles = 0; /* IT: folded */
        }
    } else if ((hw & 0xf000u) == 0xc000u) {
        c->cycles = 1 + popcount16(hw & 0xffu); /* STM, LDM */
    } else if ((hw & 0xf000u) == 0xd000u) {
        if ((hw & 0x0e00u) != 0x0e00u) { /* B<c> (not UDF, SVC) */
            c->writes_pc = 1;
            c->conditional = 1;
        }
    } else if ((hw & 0xf800u) == 0xe000u) {
        c->cycles = 1 + P; /* B */
        c->writes_pc = 1;
    }
}

/* Decodes one instruction; `in_it` says it sits inside an IT block. */
static void decode(const uint8_t *b, size_t size, int in_it, struct insn_cost *c)
{
    unsigned hw1 = (unsigned)b[0] | ((unsigned)b[1] << 8);
    memset(c, 0, sizeof *c);
    if (size == 4) decode32(hw1, (unsigned)b[2] | ((unsigned)b[3] << 8), c);
    else decode16(hw1, c);
    if (c->writes_pc && in_it && !c->conditional) {
        /* A PC write under IT is a conditional branch: its P is dynamic. */
        c->conditional = 1;
        c->cycles -= P;
    }
}

/* Instructions an IT instruction covers (mask in bits 3..0), else 0. */
static int it_length(const uint8_t *b, size_t size)
{
    unsigned hw = (unsigned)b[0] | ((unsigned)b[1] << 8);
    unsigned mask = hw & 0xf;
    if (size != 2 || (hw & 0xff00u) != 0xbf00u || mask == 0) return 0;
    return (mask & 1) ? 4 : (mask & 2) ? 3 : (mask & 4) ? 2 : 1;
}

/* Entering a TB: the previous TB's conditional branch was taken iff this TB
 * does not start at its fall-through address. */
static void tb_enter(const struct tb_info *t)
{
    if (open_window) {
        int falls = t->start == last_fallthrough;
        if (last_conditional && !falls) cycles += P;
        if (last_load && falls && t->starts_load) cycles -= 1; /* pipelined across the TB split */
    }
    last_fallthrough = t->fallthrough;
    last_conditional = t->ends_conditional;
    last_load = t->ends_load;
}

/* Whole-TB callback. */
static void tb_exec(unsigned int vcpu, void *udata)
{
    const struct tb_info *t = udata;
    (void)vcpu;
    if (model != MODEL_NONE) tb_enter(t);
    if (open_window) {
        count += t->n;
        cycles += t->cycles;
    }
}

/* Per-instruction callback inside marker TBs. */
static void insn_exec(unsigned int vcpu, void *udata)
{
    const struct insn_info *ii = udata;
    uint64_t pc = ii->pc;
    (void)vcpu;
    if (ii->first && model != MODEL_NONE) tb_enter(ii->tb);
    if (!open_window && pc == start_addr) {
        open_window = 1;
        count = 0;
        cycles = 0;
    } else if (open_window && pc == stop_addr) {
        open_window = 0;
        if (n_windows < MAX_WINDOWS) {
            window_cycles[n_windows] = cycles;
            windows[n_windows++] = count;
        } else {
            overflow = 1;
        }
        return;
    }
    if (open_window) {
        count++;
        cycles += ii->cycles;
    }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;
    int has_marker = 0, it_left = 0, prev_load = 0;
    struct tb_info *t;
    struct insn_info *ii;
    (void)id;
    /* Lives as long as QEMU may run the TB: never freed (a few bytes per
     * translation; retranslations are rare in these runs). */
    t = calloc(1, sizeof *t);
    ii = n ? calloc(n, sizeof *ii) : NULL;
    if (!t || (n && !ii)) {
        fprintf(stderr, "insn_count: out of memory\n");
        abort();
    }
    t->n = n;
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        ii[i].tb = t;
        ii[i].pc = pc;
        ii[i].first = i == 0;
        if (pc == start_addr || pc == stop_addr) has_marker = 1;
        if (i == 0) t->start = pc;
        if (model != MODEL_NONE) {
            const uint8_t *bytes = qemu_plugin_insn_data(insn);
            size_t size = qemu_plugin_insn_size(insn);
            struct insn_cost c;
            int it;
            decode(bytes, size, it_left > 0, &c);
            it = it_length(bytes, size);
            if (it_left > 0) it_left--;
            if (it) it_left = it;
            if (c.single_load && prev_load) c.cycles = 1;
            if (i == 0) t->starts_load = c.single_load;
            prev_load = c.single_load;
            ii[i].cycles = c.cycles;
            t->cycles += c.cycles;
            if (i == n - 1) {
                t->fallthrough = pc + size;
                t->ends_conditional = c.writes_pc && c.conditional;
                t->ends_load = c.single_load;
            }
        }
    }
    if (!has_marker) {
        free(ii);
        qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, t);
        return;
    }
    for (i = 0; i < n; i++)
        qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_tb_get_insn(tb, i), insn_exec, QEMU_PLUGIN_CB_NO_REGS, &ii[i]);
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
    for (i = 0; i < n_windows; i++) {
        if (model != MODEL_NONE) fprintf(f, "%" PRIu64 " %" PRIu64 "\n", windows[i], window_cycles[i]);
        else fprintf(f, "%" PRIu64 "\n", windows[i]);
    }
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
        else if (strcmp(a, "cycles=m4") == 0) model = MODEL_M4;
        else if (strcmp(a, "cycles=m3") == 0) model = MODEL_M3;
        else {
            fprintf(stderr, "insn_count: unknown argument '%s' (want start=,stop=,out=, optional cycles=m3|m4)\n", a);
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
