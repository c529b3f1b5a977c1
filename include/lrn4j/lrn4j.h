/*
 * lrn4j CPU kernel ABI (plain C).
 *
 * Conventions shared by every function in this header:
 *  - All matrices are row-major. A matrix "R x C with row stride ld" stores element (r, c) at p[r*ld + c];
 *    ld >= C always. Views into wider buffers (e.g. one direction of a bidirectional layer) are expressed
 *    with the row stride, so kernels never assume ld == C.
 *  - Pointers need only the natural alignment of float. Tensors allocated by lrn4j are 64-byte aligned,
 *    but views start at arbitrary float offsets, so kernels use unaligned vector loads.
 *  - Output buffers are owned by the caller. A kernel never allocates memory that outlives the call
 *    and never frees caller memory. Outputs never alias inputs unless a function says so.
 *  - Arguments are validated once, in Java, before any call; kernels assume valid input (dimensions >= 0,
 *    strides large enough, non-NULL pointers except where NULL is documented as allowed).
 *  - The same input gives bit-identical output for any thread count: every output element is computed
 *    by one thread in a fixed order (no atomics, no thread-count-dependent reductions).
 *
 * The LRN (Lightweight Recurrent Network) recurrence, per batch element b, hidden unit j, step t:
 *     q, k, v = G[t, b, 0, j], G[t, b, 1, j], G[t, b, 2, j]      (G = X.W + b, the fused gate GEMM)
 *     i = sigmoid(k + h_prev),  f = sigmoid(q - h_prev),  c = i*v + f*h_prev,  h = g(c)
 * with g = tanh or identity. G is "[T, B, 3, H]": step t, batch b starts at g + (t*B + b)*ldg with the
 * q block at [0, H), k at [H, 2H), v at [2H, 3H); ldg >= 3H.
 */
#ifndef LRN4J_LRN4J_H
#define LRN4J_LRN4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- library, CPU features, threads ------------------------------------------------------------ */

#define LRN4J_ABI_VERSION 1

#define LRN4J_CPU_AVX2 1    /* AVX2 and FMA both present and enabled by the OS */
#define LRN4J_CPU_AVX512F 2 /* AVX-512F present and its state (opmask, ZMM) enabled by the OS */

#define LRN4J_ISA_SCALAR 0  /* portable reference kernels */
#define LRN4J_ISA_AVX2 1    /* AVX2/FMA kernels */
#define LRN4J_ISA_AVX512 2  /* AVX-512F GEMM and LRN/oLRN scans, AVX2/FMA for the rest; needs both CPU features */

/* ABI version of this library: LRN4J_ABI_VERSION. */
int lrn4j_abi_version(void);
/* Bit set of LRN4J_CPU_* features detected on this CPU (cpuid + xgetbv). */
int lrn4j_cpu_features(void);
/* Kernel set in use (LRN4J_ISA_*): the best the CPU supports unless lrn4j_set_isa chose another. */
int lrn4j_isa(void);
/* Chooses the kernel set. Returns the set actually in use: a request the CPU cannot run (or an unknown
 * value) falls back to LRN4J_ISA_SCALAR. Not thread-safe with concurrently running kernels; meant for
 * start-up and tests. */
int lrn4j_set_isa(int isa);
/* Threads used by each kernel call (default: the processors in this process's affinity mask). */
int lrn4j_num_threads(void);
/* Sets the thread count (n >= 1; values < 1 are treated as 1). */
void lrn4j_set_num_threads(int n);

/* ---- GEMM -------------------------------------------------------------------------------------- */

/*
 * C = op(A) . op(B) [+ bias] [+ C]
 *   op(A) is M x K: trans_a == 0 -> A is M x K with row stride lda; trans_a != 0 -> A is K x M (lda >= M).
 *   op(B) is K x N: trans_b == 0 -> B is K x N with row stride ldb; trans_b != 0 -> B is N x K (ldb >= K).
 *   C is M x N with row stride ldc.
 *   bias: NULL, or N floats added to every row of C.
 *   accumulate == 0: C is overwritten and never read (it may hold NaN). accumulate != 0: the product
 *   (and bias) is added to the existing C.
 *   K == 0 is allowed: C becomes bias (or 0), or is left unchanged plus bias when accumulating.
 *   Each element sums its K products in a fixed order; where the bias enters that sum is up to each
 *   implementation, so kernel sets and backends may differ by rounding (never by thread count).
 * Uses: gate GEMM G = X.W + b (no transposes, bias); dX = dG.W^T (trans_b); dW += X^T.dG (trans_a,
 * accumulate). C must not overlap A, B or bias.
 */
void lrn4j_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                const float* a, int64_t lda, const float* b, int64_t ldb,
                const float* bias, int accumulate, float* c, int64_t ldc);

/* Column sums, for the bias gradient: s_j = sum_{i<m} a[i*lda + j] (rows added in increasing order,
 * starting from 0), then out[j] = s_j (accumulate == 0) or out[j] += s_j (accumulate != 0), for j < n. */
void lrn4j_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out);

/* ---- LRN scan ---------------------------------------------------------------------------------- */

#define LRN4J_ACT_TANH 0
#define LRN4J_ACT_IDENTITY 1

/*
 * Forward scan over time for all (batch, hidden) columns.
 *   t_len, batch, hidden: T, B, H (all >= 1).
 *   g: gates [T, B, 3, H], row stride ldg (>= 3H) per (t, b) row.
 *   h0: initial state [B, H] contiguous, or NULL for zeros.
 *   lengths: B int32 values in [1, T], or NULL for "all T".
 *   act: LRN4J_ACT_TANH or LRN4J_ACT_IDENTITY.
 *   reverse == 0: steps run t = 0 .. T-1. reverse != 0: steps run t = T-1 .. 0.
 *     A step is active when t < lengths[b]; an inactive step leaves the state unchanged. So in forward
 *     order the state after the last token is carried through the padding, and in reverse order each
 *     sequence starts at its own last token (t = lengths[b]-1) with h0, and the padding holds h0.
 *   hs: output states [T, B, H], row stride ldh (>= H) per (t, b) row: hs[t] is the state after step t
 *     (after the update when active, the carried state when inactive). Written for every t.
 *   h_last: NULL, or [B, H] contiguous: the state after the final step in processing order
 *     (forward: after t = lengths[b]-1; reverse: after t = 0).
 * Forward saves nothing else: backward recomputes the gates from g and the previous state.
 */
void lrn4j_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                            const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                            int act, int reverse, float* hs, int64_t ldh, float* h_last);

/*
 * Backward of lrn4j_lrn_scan_forward, walking the steps in the opposite order.
 *   g, h0, lengths, act, reverse, hs, ldh: exactly as given to (and produced by) the forward call.
 *   dhs: gradient of the loss w.r.t. hs, [T, B, H] with row stride lddh, or NULL for zeros.
 *   dh_last: gradient w.r.t. h_last, [B, H] contiguous, or NULL for zeros.
 *   dg: output, gradient w.r.t. g, [T, B, 3, H] with row stride lddg (>= 3H); every q/k/v element of
 *     every (t, b) row is written (zero at inactive steps); columns beyond 3H are not touched.
 *   dh0: output, gradient w.r.t. h0, [B, H] contiguous, or NULL when not wanted. Written (never read).
 */
void lrn4j_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                             const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                             int act, int reverse, const float* hs, int64_t ldh,
                             const float* dhs, int64_t lddh, const float* dh_last,
                             float* dg, int64_t lddg, float* dh0);

/* ---- LSTM, GRU and ATR steps ---------------------------------------------------------------------- */

#define LRN4J_CELL_LSTM 0
#define LRN4J_CELL_GRU 1
#define LRN4J_CELL_ATR 2

/*
 * The cells whose recurrence goes through a matrix product h_prev.U: a layer computes gh = h_prev.U with
 * lrn4j_gemm once per time step, and these two functions are the pointwise rest of that step for B
 * sequences of H units. With gx = x_t.W (+ b), the input part hoisted out of the time loop, both gx and gh
 * are [B, G*H] rows of G planes of H units (G = 4, 3, 1). Per unit:
 *   LSTM (planes i, f, g, o):  i = sig(gx_i + gh_i), f = sig(gx_f + gh_f), g = tanh(gx_g + gh_g),
 *                              o = sig(gx_o + gh_o);  c = f*c_prev + i*g;  h = o*tanh(c)
 *   GRU (planes r, z, n):      r = sig(gx_r + gh_r), z = sig(gx_z + gh_z), n = tanh(gx_n + r*(gh_n + bh)),
 *                              h = (1 - z)*n + z*h_prev
 *   ATR (one plane):           p = gx, q = gh + bh;  i = sig(p + q), f = sig(p - q);  h = i*p + f*h_prev
 * Only the LSTM has a cell state c.
 *   t, lengths: sequence b takes part in step t when t < lengths[b] (lengths NULL: always). At an inactive
 *     step the state passes unchanged: h = h_prev (and c = c_prev).
 *   gx, ldgx / gh, ldgh: [B, G*H] with row strides (>= G*H).
 *   bh: H floats (GRU: the recurrent bias of n; ATR: the bias of q), or NULL for zeros; the LSTM ignores it.
 *   h_prev, ldhp / c_prev, ldcp: [B, H], the state before the step, or NULL for zeros (c_prev: LSTM only).
 *   h, ldh / c, ldc: outputs [B, H], the state after the step (c: LSTM only; ignored, may be NULL, else).
 *   last, ldlast: NULL, or a second output [B, S] that receives the same state: h in columns [0, H) and,
 *     for the LSTM, c in [H, 2H) (a layer's final state).
 * Outputs do not overlap inputs or each other. Elementwise: results do not depend on the thread count.
 */
void lrn4j_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                             const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                             const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                             float* h, int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast);

/*
 * Backward of one lrn4j_cell_step_forward call; the gates are recomputed from gx, gh, bh and the states.
 *   cell, batch, hidden, t, lengths, gx, gh, bh, h_prev, c_prev: as in the forward call.
 *   c, ldc: the LSTM's c after the step (the forward output); not read for the other cells (may be NULL).
 *   dh_out, lddo: gradient w.r.t. h from outside the recurrence (the layer's output at step t), or NULL.
 *   dh, lddh: in place. In: the gradient w.r.t. h after the step from the later steps. Out: the part of the
 *     gradient w.r.t. h_prev that does not pass through gh (LSTM: 0; GRU: z*dh; ATR: f*dh; inactive step:
 *     dh + dh_out). The caller completes it by adding dgh.U^T (lrn4j_gemm).
 *   dc, lddc: LSTM only, in place (ignored, may be NULL, else). In: gradient w.r.t. c after the step;
 *     out: w.r.t. c_prev.
 *   dgx, lddgx: output [B, G*H], the gradient w.r.t. gx (zero at inactive steps).
 *   dgh, lddgh: output [B, G*H], the gradient w.r.t. gh (its n plane (GRU) or its only plane (ATR) is also
 *     the gradient w.r.t. bh). Not written for the LSTM, whose gradient w.r.t. gh equals dgx (may be NULL).
 * Apart from dh and dc, outputs do not overlap inputs or each other.
 */
void lrn4j_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                              const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                              const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                              const float* c, int64_t ldc, const float* dh_out, int64_t lddo,
                              float* dh, int64_t lddh, float* dc, int64_t lddc,
                              float* dgx, int64_t lddgx, float* dgh, int64_t lddgh);

/*
 * The whole recurrence of one direction of an LSTM, GRU or ATR layer over T steps: per step s (processed
 * in order; step t = s, or T-1-s when reverse), gh_t = h_prev.U (lrn4j_gemm), then
 * lrn4j_cell_step_forward, with h_prev = h0 for the first step and the output h of the step processed
 * before it after that (c_prev likewise from c0 and c). One call instead of 2T: the sequences are split
 * among the threads once, and each thread walks all the steps of its own sequences (a sequence's steps
 * depend only on itself), so there is no synchronisation per step. Results are those of the 2T calls,
 * bit for bit, for any thread count.
 *   cell, lengths, bh: as in lrn4j_cell_step_forward. t_len, batch, hidden: T, B, H (all >= 1).
 *   gx, ldgx: [T, B, G*H], row (t, b) at gx + (t*B + b)*ldgx.
 *   u, ldu: [H, G*H] with row stride ldu (>= G*H): the recurrent weights.
 *   h0, ldh0 / c0, ldc0: [B, H], the initial state, or NULL for zeros (c0: LSTM only).
 *   gh, ldgh: output [T, B, G*H], h_prev.U of every step (zeros where h_prev is the NULL h0).
 *   h, ldh / c, ldc: outputs [T, B, H], the state after every step (c: LSTM only, else ignored).
 *   last, ldlast: NULL, or [B, S] that receives the state after the last step processed (as in
 *     lrn4j_cell_step_forward).
 * Outputs do not overlap inputs or each other.
 */
void lrn4j_cell_forward(int cell, int64_t t_len, int64_t batch, int64_t hidden, const int32_t* lengths,
                        int reverse, const float* gx, int64_t ldgx, const float* u, int64_t ldu,
                        const float* bh, const float* h0, int64_t ldh0, const float* c0, int64_t ldc0,
                        float* gh, int64_t ldgh, float* h, int64_t ldh, float* c, int64_t ldc,
                        float* last, int64_t ldlast);

/*
 * Backward of lrn4j_cell_forward, walking the steps in the opposite order: per step,
 * lrn4j_cell_step_backward, then dh += dR.U^T (dR = dgh, or dgx for the LSTM). Like the forward call, one
 * call with the sequences split among the threads, bit for bit the result of the 2T calls.
 *   cell .. c0, ldc0: as given to the forward call; gh, h, c: as it produced them.
 *   dh_out, lddo: [T, B, H], the gradient w.r.t. h from outside the recurrence, or NULL.
 *   dh, lddh / dc, lddc: [B, H], in place: in, the gradient w.r.t. the state after the last step
 *     processed (dc: LSTM only); out, the gradient w.r.t. h0 (and c0).
 *   dgx, lddgx / dgh, lddgh: outputs [T, B, G*H] (dgh: not written for the LSTM, may be NULL), as in
 *     lrn4j_cell_step_backward.
 * Apart from dh and dc, outputs do not overlap inputs or each other.
 */
void lrn4j_cell_backward(int cell, int64_t t_len, int64_t batch, int64_t hidden, const int32_t* lengths,
                         int reverse, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                         const float* u, int64_t ldu, const float* bh, const float* h0, int64_t ldh0,
                         const float* c0, int64_t ldc0, const float* h, int64_t ldh, const float* c, int64_t ldc,
                         const float* dh_out, int64_t lddo, float* dh, int64_t lddh, float* dc, int64_t lddc,
                         float* dgx, int64_t lddgx, float* dgh, int64_t lddgh);

/* ---- SRU scan ------------------------------------------------------------------------------------- */

/*
 * The SRU recurrence (Simple Recurrent Unit, Lei et al. 2018) over time for every (batch, hidden) column.
 * Its recurrence is elementwise, so like the LRN scan it is one call over all steps. Per step, unit j of
 * sequence b, with c_prev the cell state before the step:
 *   f = sig(uf + v_f*c_prev + b_f),   r = sig(ur + v_r*c_prev + b_r)
 *   c = f*c_prev + (1 - f)*ux,        h = r*g(c) + (1 - r)*xh
 *   t_len, batch, hidden: T, B, H (all >= 1). k: 3 or 4, the planes of u.
 *   u: [T, B, k, H] with row stride ldu (>= k*H): planes ux = x.W, uf = x.W_f, ur = x.W_r and, when k == 4,
 *     the highway input xh = x.W_h (a projection, for inputs whose width is not H).
 *   x, ldx: k == 3: the layer input [T, B, H] with row stride ldx, which is the highway input xh;
 *     k == 4: not read (may be NULL).
 *   v: 2H floats v_f then v_r; bias: 2H floats b_f then b_r.
 *   c0: [B, H] contiguous, or NULL for zeros. lengths, reverse: as in lrn4j_lrn_scan_forward; at an
 *     inactive step c is carried unchanged and h is 0.
 *   act: g, LRN4J_ACT_TANH or LRN4J_ACT_IDENTITY.
 *   h: output [T, B, H], row stride ldh. c: output [T, B, H], row stride ldc: the cell state after each
 *     step (the carried one at inactive steps), which the backward pass reads.
 *   c_last: NULL, or [B, H] contiguous: c after the final step in processing order.
 */
void lrn4j_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                            const float* u, int64_t ldu, const float* x, int64_t ldx,
                            const float* v, const float* bias, const float* c0, const int32_t* lengths,
                            int act, int reverse, float* h, int64_t ldh, float* c, int64_t ldc, float* c_last);

/*
 * Backward of lrn4j_sru_scan_forward, walking the steps in the opposite order.
 *   t_len .. reverse, c, ldc: exactly as given to (and produced by) the forward call.
 *   dh, lddh: gradient w.r.t. h [T, B, H], or NULL for zeros; ignored at inactive steps (h is 0 there).
 *   dc_last: gradient w.r.t. c_last, [B, H] contiguous, or NULL for zeros.
 *   du: output [T, B, k, H], row stride lddu: the gradient w.r.t. u (zero at inactive steps). The bias
 *     gradient is the column sum of its uf and ur planes.
 *   dx, lddx: k == 3: [T, B, H] to which the highway gradient (1 - r)*dh is ADDED; k == 4: NULL.
 *   dv: output [B, 2H] contiguous: per sequence, the sums over its steps (added in the order this walk
 *     visits them) of d(uf)*c_prev and of d(ur)*c_prev; the gradient of v is the column sum of these B
 *     rows (lrn4j_col_sum), so no two threads ever add into one element.
 *   dc0: output [B, H] contiguous, gradient w.r.t. c0, or NULL when not wanted.
 * Outputs do not overlap inputs or each other.
 */
void lrn4j_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                             const float* u, int64_t ldu, const float* x, int64_t ldx,
                             const float* v, const float* bias, const float* c0, const int32_t* lengths,
                             int act, int reverse, const float* c, int64_t ldc,
                             const float* dh, int64_t lddh, const float* dc_last,
                             float* du, int64_t lddu, float* dx, int64_t lddx, float* dv, float* dc0);

/* ---- oLRN scan (LRN with an output gate) ----------------------------------------------------------- */

/*
 * The oLRN recurrence over time for every (batch, hidden) column: the LRN step of the header's comment with
 * an output gate, per batch element b, hidden unit j, step t, with h_prev the state before the step:
 *     q, k, v, p = G[t, b, 0, j], G[t, b, 1, j], G[t, b, 2, j], G[t, b, 3, j]   (G = X.[Wq Wk Wv Wo] + b)
 *     i = sigmoid(k + h_prev),  f = sigmoid(q - h_prev),  c = g(i*v + f*h_prev),
 *     o = sigmoid(p - c),       h = o*c
 * with g = tanh or identity. The recurrence carries h; c is not part of the state.
 *   t_len, batch, hidden, h0, lengths, act, reverse, h_last: as in lrn4j_lrn_scan_forward (an inactive step
 *     leaves h unchanged; h_last is the state after the final step in processing order).
 *   g: gates [T, B, 4, H], row stride ldg (>= 4H): the q, k, v and p planes of H units each.
 *   hs: output [T, B, H], row stride ldh: h after each step (the carried state at inactive steps).
 *   cs: output [T, B, H], row stride ldc: c of each active step, 0 at inactive steps.
 * What the backward pass reads besides g: hs (the previous state) and cs. It recomputes i, f (from g and the
 * previous state) and o (from p and c), so the forward pass stores one plane beyond the output; recomputing
 * c instead would cost a tanh per element in the backward pass.
 */
void lrn4j_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                             const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                             int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc, float* h_last);

/*
 * Backward of lrn4j_olrn_scan_forward, walking the steps in the opposite order.
 *   g, h0, lengths, act, reverse, hs, ldh, cs, ldc: exactly as given to (and produced by) the forward call.
 *   dhs: gradient w.r.t. hs, [T, B, H] with row stride lddh, or NULL for zeros.
 *   dh_last: gradient w.r.t. h_last, [B, H] contiguous, or NULL for zeros.
 *   dg: output, gradient w.r.t. g, [T, B, 4, H] with row stride lddg (>= 4H); every q/k/v/p element of
 *     every (t, b) row is written (zero at inactive steps); columns beyond 4H are not touched.
 *   dh0: output, gradient w.r.t. h0, [B, H] contiguous, or NULL when not wanted. Written (never read).
 * Per active step, with dh the gradient w.r.t. h after the step (dhs[t] plus what the later steps carry):
 *     dp = dh*c*o*(1-o),  dc = dh*o - dp,  ds = dc*(1 - c*c) (tanh) or dc (identity),
 *     dq = ds*h_prev*f*(1-f),  dk = ds*v*i*(1-i),  dv = ds*i,  dh_prev = ds*f + dk - dq.
 * Outputs do not overlap inputs or each other.
 */
void lrn4j_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                              const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                              int act, int reverse, const float* hs, int64_t ldh, const float* cs, int64_t ldc,
                              const float* dhs, int64_t lddh, const float* dh_last,
                              float* dg, int64_t lddg, float* dh0);

/* ---- layer normalization (grouped) -------------------------------------------------------------- */

/*
 * Each row of x (m rows, row stride ldx) holds `groups` groups of `group_size` values (groups and
 * group_size >= 1, m >= 0); each group is normalized on its own:
 *   y[r, c] = gamma[c] * (x[r, c] - mean[r, grp]) * rstd[r, grp] + beta[c],   c = grp*group_size + j
 *   rstd = 1 / sqrt(var + eps), var the biased variance of the group.
 *   gamma, beta: groups*group_size floats, or NULL for 1 and 0.
 *   y: row stride ldy; may be the same buffer as x only when ldy == ldx.
 *   mean, rstd: outputs, m*groups floats each (row-major [m, groups]), saved for the backward pass.
 */
void lrn4j_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size,
                              const float* x, int64_t ldx, const float* gamma, const float* beta,
                              float eps, float* y, int64_t ldy, float* mean, float* rstd);

/*
 * Backward of lrn4j_layer_norm_forward.
 *   x, gamma (NULL = 1), mean, rstd: as in the forward call. dy: [m, groups*group_size], stride lddy.
 *   dx: output (overwritten), stride lddx; must not overlap x or dy (dgamma reads x after dx is written).
 *   dgamma, dbeta: NULL, or groups*group_size floats to which sum_r dy*xhat and sum_r dy are ADDED.
 */
void lrn4j_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size,
                               const float* x, int64_t ldx, const float* gamma,
                               const float* mean, const float* rstd,
                               const float* dy, int64_t lddy, float* dx, int64_t lddx,
                               float* dgamma, float* dbeta);

/* ---- softmax cross-entropy ------------------------------------------------------------------------ */

/*
 * Softmax cross-entropy of m rows of n logits (n >= 1, m >= 0), fused with its gradient.
 *   logits: [m, n] with row stride ld (>= n).
 *   targets: m INT32 class indices in [0, n), or -1 for a row that does not count (padding).
 *   loss: output, m floats: log(sum_j exp(x_j)) - x_target (>= 0), and 0 for a row with target -1.
 *   dlogits: NULL (loss only), or output [m, n] with row stride ldd (>= n):
 *     scale * (softmax(x) - onehot(target)), a zero row for target -1. It may be the logits buffer
 *     itself (dlogits == logits and ldd == ld: the gradient replaces the logits, which saves a second
 *     m x n buffer for large vocabularies); any other overlap is not allowed.
 *   Each row: its maximum, then the sum of exp(x_j - max) in double precision in a fixed order, so the
 *   loss stays finite for any finite logits. A target outside [-1, n) (never passed after validation)
 *   gives a NaN loss and a NaN gradient row, never an out-of-bounds read.
 */
void lrn4j_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,
                        float scale, float* loss, float* dlogits, int64_t ldd);

/* ---- embedding ------------------------------------------------------------------------------------ */

/*
 * Embedding lookup: out[i, :] = table[ids[i], :] for i < m, d columns (m, d >= 0).
 *   ids: m INT32 row indices in [0, rows), or -1 for padding (a zero row).
 *   table: [rows, d] with row stride ldt (>= d); out: [m, d] with row stride ldo (>= d), not overlapping
 *   the table. An id outside [-1, rows) (never passed after validation) gives a NaN row, never an
 *   out-of-bounds read.
 */
void lrn4j_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,
                            int64_t ldt, float* out, int64_t ldo);

/*
 * Backward of the lookup: dtable[ids[i], :] += dout[i, :] for i < m, each table row receiving its
 * rows of dout in increasing i (deterministic; no atomics). ids of -1, and ids outside [0, rows), are
 * skipped. dtable: [rows, d] with row stride ldt; dout: [m, d] with row stride ldo; no overlap.
 */
void lrn4j_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,
                                 float* dtable, int64_t rows, int64_t ldt);

/* ---- optimizer steps ------------------------------------------------------------------------------ */

/*
 * Parameter updates, elementwise over n floats (n >= 0). g is the raw gradient; the step uses
 * gs = grad_scale * g (grad_scale carries gradient clipping by global norm, 1 when not clipping).
 *
 * Adam with decoupled weight decay (AdamW; weight_decay = 0 is plain Adam):
 *   m = beta1*m + (1-beta1)*gs;  v = beta2*v + (1-beta2)*gs^2;
 *   p -= lr * ( (m / bias_correction1) / (sqrt(v / bias_correction2) + eps) + weight_decay * p )
 * with bias_correction1 = 1 - beta1^t and bias_correction2 = 1 - beta2^t for step t >= 1.
 *
 * SGD with momentum and L2 weight decay:
 *   d = gs + weight_decay * p;  u = momentum*u + d;  p -= lr * (nesterov ? d + momentum*u : u)
 * (momentum = 0 is plain SGD; u is then still written, equal to d).
 *
 * p, m, v, u are updated in place; g is read only and must not overlap them. Elementwise and
 * independent: results do not depend on the thread count.
 */
void lrn4j_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
                     float eps, float weight_decay, float grad_scale, float bias_correction1,
                     float bias_correction2);
void lrn4j_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
                    float grad_scale, int nesterov);

/* Sum of squares of n floats in double precision, for the global gradient norm: fixed blocks of 4096
 * elements summed in order, block sums added in order, so the result does not depend on the thread count. */
double lrn4j_sum_squares(int64_t n, const float* x);

/* Inverted dropout with a counter-based mask: element i (counted from `offset`, so a range can be done in
 * pieces) is kept when lrn4j_dropout_bits(seed, offset + i) >= threshold, where threshold = floor(p * 2^32)
 * for a drop probability p in [0, 1); a kept element becomes x * scale (scale = 1 / (1 - p), rounded to
 * float by the caller), a dropped one 0 (also when x is NaN). The mask depends only on (seed, index), so
 * every backend, thread count and piece-wise split gives the same mask, and the backward pass is the same
 * call on the gradient with the same seed. x == y (in place) is allowed; otherwise they must not overlap.
 *   bits(seed, j) = fmix32(fmix32(lo(j) ^ lo(seed)) ^ (hi(j) * 0x9E3779B1 + hi(seed)))  (uint32 arithmetic)
 *   fmix32(h): h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16. */
void lrn4j_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,
                   float scale);

/* ---- elementwise activations ---------------------------------------------------------------------- */

/* The function f of y = f(x), elementwise (e.g. the two nonlinearities of the Legendre Memory Unit). */
#define LRN4J_FN_IDENTITY 0 /* y = x */
#define LRN4J_FN_TANH 1     /* y = tanh(x) */
#define LRN4J_FN_RELU 2     /* y = x < 0 ? 0 : x (NaN stays NaN) */
#define LRN4J_FN_SIGMOID 3  /* y = 1 / (1 + exp(-x)) */

/* y[i] = f(x[i]) for n floats. x == y (in place) is allowed; otherwise they must not overlap. The AVX2
 * tanh and sigmoid are the scan kernels' approximations (avx2_math.h: absolute error below 2e-7). */
void lrn4j_activation_forward(int fn, int64_t n, const float* x, float* y);

/* The backward pass from the forward output y: dx[i] = dy[i] * f'(x[i]), written through y:
 *   identity 1, tanh 1 - y^2, relu (y > 0 ? 1 : 0), sigmoid y(1 - y).
 * dx == dy (in place) is allowed; otherwise dx overlaps neither y nor dy. */
void lrn4j_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx);

/* ---- CUDA bridge --------------------------------------------------------------------------------- */

/*
 * The CUDA kernels live in a separate library (liblrn4j_cuda.so, see lrn4j_cuda.h) that exists only when
 * the build found nvcc. This CPU library opens it at run time with dlopen, so the JNI glue links against
 * this library alone and loads on hosts without CUDA.
 *   lrn4j_cuda_bridge_open(path): loads the library at `path` and resolves every lrn4j_cuda_* symbol.
 *     Returns 0 on success; otherwise non-zero, and lrn4j_cuda_bridge_error() says why (a static buffer,
 *     valid until the next open call). A failed open may be retried; once open, later calls return 0
 *     and ignore the path.
 *   The lrn4j_cudab_* functions forward to the lrn4j_cuda_* functions of lrn4j_cuda.h (same arguments,
 *   device pointers, a cudaStream_t passed as void*) and return their cudaError_t as int; they return -1
 *   when the bridge is not open.
 */
int lrn4j_cuda_bridge_open(const char* path);
const char* lrn4j_cuda_bridge_error(void);

int lrn4j_cudab_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                     const float* a, int64_t lda, const float* b, int64_t ldb,
                     const float* bias, int accumulate, float* c, int64_t ldc, void* stream);
int lrn4j_cudab_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out,
                        void* stream);
int lrn4j_cudab_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                                 const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                 int act, int reverse, float* hs, int64_t ldh, float* h_last, void* stream);
int lrn4j_cudab_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                                  const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                  int act, int reverse, const float* hs, int64_t ldh,
                                  const float* dhs, int64_t lddh, const float* dh_last,
                                  float* dg, int64_t lddg, float* dh0, void* stream);
int lrn4j_cudab_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                  const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                  const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                                  float* h, int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast,
                                  void* stream);
int lrn4j_cudab_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                   const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                   const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                                   const float* c, int64_t ldc, const float* dh_out, int64_t lddo,
                                   float* dh, int64_t lddh, float* dc, int64_t lddc,
                                   float* dgx, int64_t lddgx, float* dgh, int64_t lddgh, void* stream);
int lrn4j_cudab_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                 const float* u, int64_t ldu, const float* x, int64_t ldx,
                                 const float* v, const float* bias, const float* c0, const int32_t* lengths,
                                 int act, int reverse, float* h, int64_t ldh, float* c, int64_t ldc, float* c_last,
                                 void* stream);
int lrn4j_cudab_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                  const float* u, int64_t ldu, const float* x, int64_t ldx,
                                  const float* v, const float* bias, const float* c0, const int32_t* lengths,
                                  int act, int reverse, const float* c, int64_t ldc,
                                  const float* dh, int64_t lddh, const float* dc_last,
                                  float* du, int64_t lddu, float* dx, int64_t lddx, float* dv, float* dc0,
                                  void* stream);
int lrn4j_cudab_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                                  const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                  int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                                  float* h_last, void* stream);
int lrn4j_cudab_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                                   const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                   int act, int reverse, const float* hs, int64_t ldh, const float* cs, int64_t ldc,
                                   const float* dhs, int64_t lddh, const float* dh_last,
                                   float* dg, int64_t lddg, float* dh0, void* stream);
int lrn4j_cudab_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size,
                                   const float* x, int64_t ldx, const float* gamma, const float* beta,
                                   float eps, float* y, int64_t ldy, float* mean, float* rstd, void* stream);
int lrn4j_cudab_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size,
                                    const float* x, int64_t ldx, const float* gamma,
                                    const float* mean, const float* rstd,
                                    const float* dy, int64_t lddy, float* dx, int64_t lddx,
                                    float* dgamma, float* dbeta, void* stream);
int lrn4j_cudab_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,
                                 int64_t ldt, float* out, int64_t ldo, void* stream);
int lrn4j_cudab_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,
                                      float* dtable, int64_t rows, int64_t ldt, void* stream);
int lrn4j_cudab_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
                          float beta2, float eps, float weight_decay, float grad_scale, float bias_correction1,
                          float bias_correction2, void* stream);
int lrn4j_cudab_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
                         float grad_scale, int nesterov, void* stream);
int lrn4j_cudab_sum_squares(int64_t n, const float* x, double* out, void* stream);
int lrn4j_cudab_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,
                        float scale, void* stream);
int lrn4j_cudab_activation_forward(int fn, int64_t n, const float* x, float* y, void* stream);
int lrn4j_cudab_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, void* stream);
int lrn4j_cudab_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,
                             float scale, float* loss, float* dlogits, int64_t ldd, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* LRN4J_LRN4J_H */
