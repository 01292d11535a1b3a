#include "core/nn/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

struct sc_net {
    int n_tensors, max_tensors;
    sc_nn_tensor *tensors;
    int n_layers, max_layers;
    sc_nn_layer *layers;
    void **allocs;               /* weight blocks owned by the net */
    int n_allocs, max_allocs;
    uint8_t *arena;
    size_t arena_bytes;
    uint8_t *dw_pw;              /* per layer, set by plan: heads a dw 3×3 → pointwise pair (dw_pw_pair) */
    int fusion;                  /* sc_net_set_fusion: SC_FUSE_OFF, _AUTO (default) or _ALL */
};

sc_status sc_net_create(int max_tensors, int max_layers, sc_net **out)
{
    *out = NULL;
    sc_net *n = calloc(1, sizeof(*n));
    if (!n) return SC_E_NOMEM;
    n->max_tensors = max_tensors;
    n->max_layers = max_layers;
    n->max_allocs = 4 * max_layers + 16;
    n->tensors = calloc((size_t)max_tensors, sizeof(*n->tensors));
    n->layers = calloc((size_t)max_layers, sizeof(*n->layers));
    n->allocs = calloc((size_t)n->max_allocs, sizeof(void *));
    n->dw_pw = calloc((size_t)max_layers + 1, 1);
    n->fusion = SC_FUSE_AUTO;
    if (!n->tensors || !n->layers || !n->allocs || !n->dw_pw) { sc_net_destroy(n); return SC_E_NOMEM; }
    *out = n;
    return SC_OK;
}

void sc_net_destroy(sc_net *n)
{
    if (!n) return;
    for (int i = 0; i < n->n_allocs; i++) sc_aligned_free(n->allocs[i]);
    sc_aligned_free(n->arena);
    free(n->allocs);
    free(n->dw_pw);
    free(n->layers);
    free(n->tensors);
    free(n);
}

int sc_net_add_tensor(sc_net *n, const sc_nn_tensor *t)
{
    if (n->n_tensors >= n->max_tensors) return -1;
    n->tensors[n->n_tensors] = *t;
    return n->n_tensors++;
}

sc_nn_tensor *sc_net_tensor(sc_net *n, int id)
{
    SC_ASSERT(id >= 0 && id < n->n_tensors);
    return &n->tensors[id];
}

int sc_net_tensor_count(const sc_net *n) { return n->n_tensors; }

sc_nn_layer *sc_net_add_layer(sc_net *n)
{
    if (n->n_layers >= n->max_layers) return NULL;
    sc_nn_layer *l = &n->layers[n->n_layers++];
    memset(l, 0, sizeof(*l));
    return l;
}

int sc_net_layer_count(const sc_net *n) { return n->n_layers; }
const sc_nn_layer *sc_net_layer(const sc_net *n, int i) { return &n->layers[i]; }

void *sc_net_alloc(sc_net *n, size_t bytes)
{
    if (n->n_allocs >= n->max_allocs) return NULL;
    void *p = sc_aligned_alloc(bytes + SC_OVERREAD);
    if (!p) return NULL;
    memset(p, 0, bytes + SC_OVERREAD);
    n->allocs[n->n_allocs++] = p;
    return p;
}

static int root_of(const sc_net *n, int id)
{
    int guard = 0;
    while (n->tensors[id].alias_of >= 0 && guard++ < n->n_tensors) id = n->tensors[id].alias_of;
    return id;
}

static void touch(sc_net *n, int id, int layer)
{
    sc_nn_tensor *t = &n->tensors[root_of(n, id)];
    if (layer < t->first) t->first = layer;
    if (layer > t->last) t->last = layer;
}

/* Layer i + 1 when it is a logistic that is the only reader of concatenation i's output
 * (which is no graph output): sc_net_run then runs the pair as one pass (the COCO model's
 * class scores: 1917 × 91 bytes copied and mapped once instead of twice). NULL otherwise.
 * check_mem: also require the inputs and the logistic's output not to share bytes (after plan). */
static const sc_nn_layer *fused_logistic(const sc_net *n, int i, int check_mem)
{
    const sc_nn_layer *l = &n->layers[i];
    if (l->type != SC_L_CONCAT || i + 1 >= n->n_layers) return NULL;
    const sc_nn_layer *post = &n->layers[i + 1];
    if (post->type != SC_L_LOGISTIC || post->n_in != 1) return NULL;
    int cat = root_of(n, l->out);
    const sc_nn_tensor *ct = &n->tensors[cat], *pt = &n->tensors[post->out];
    if (root_of(n, post->in[0]) != cat || ct->last != i + 1 || ct->dt != pt->dt ||
        sc_nn_tensor_elems(ct) != sc_nn_tensor_elems(pt) || root_of(n, post->out) == cat)
        return NULL;
    if (!check_mem) return post;
    /* the pass reads the inputs while writing the logistic's output: sc_net_plan keeps them
     * apart (it extends the inputs' lifetimes); refuse if they share bytes anyway */
    const sc_nn_tensor *po = &n->tensors[root_of(n, post->out)];
    for (int k = 0; k < l->n_in; k++) {
        const sc_nn_tensor *in = &n->tensors[root_of(n, l->in[k])];
        if (in->offset < po->offset + po->bytes && po->offset < in->offset + in->bytes) return NULL;
    }
    return post;
}

/* 1×1 weights up to this size are re-read per band of a fused dw → pointwise pair (from L2:
 * they stay there between bands). Larger ones (the 19×19×512 float layers: 1 MB) would be
 * streamed again for every band, costing more than the dw output traffic the fusion saves. */
#define FUSE_MAX_W_BYTES ((size_t)256 * 1024)

/* SC_FUSE_AUTO fuses a pair only when the depthwise output is at least this big (about L2):
 * a smaller one stays in L2 unfused anyway, and fusing it measured slower (float 38×38×128,
 * 740 KB: +6-12 %; every uint8 pair of the COCO model at 1 thread: +1-3 %). */
#define FUSE_AUTO_MIN_MID_BYTES ((size_t)1024 * 1024)

/* Layer i is a depthwise 3×3 whose output only the pointwise conv i + 1 reads (no graph
 * output, no alias read elsewhere), with 1×1 weights of at most FUSE_MAX_W_BYTES: sc_net_run
 * may run the two as one pass over row bands (run_dw_pw). Structure only (needs the lifetimes
 * of plan's first pass), so the arena layout does not depend on the packing or the kernels;
 * the packing, the kernels, the thread count and sc_net_set_fusion decide at run time
 * (fused_pw); the fusion mode at plan time also decides which pairs plan makes room for. */
static int dw_pw_pair(const sc_net *n, int i)
{
    if (i < 0 || i + 1 >= n->n_layers) return 0;
    const sc_nn_layer *dw = &n->layers[i], *pw = &n->layers[i + 1];
    if (dw->type != SC_L_DWCONV || dw->n_in != 1 || !sc_conv_is_dw3x3(&dw->shape)) return 0;
    if (pw->type != SC_L_CONV || pw->n_in != 1 || !sc_conv_is_pointwise(&pw->shape)) return 0;
    int d = root_of(n, dw->out), x = root_of(n, dw->in[0]), y = root_of(n, pw->out);
    const sc_nn_tensor *dt = &n->tensors[d], *yt = &n->tensors[y];
    if (root_of(n, pw->in[0]) != d || dt->first != i || dt->last != i + 1 || y == d || y == x || x == d ||
        dt->dt != yt->dt)
        return 0;
    const sc_conv_shape *a = &dw->shape, *b = &pw->shape;
    if (b->in_h != a->out_h || b->in_w != a->out_w || b->in_c != a->out_c || b->out_h != a->out_h ||
        b->out_w != a->out_w)
        return 0;
    /* uint8 GEMM rows may be read up to the next multiple of 4 bytes (core/kernels/packed.h):
     * past a band's last pixel that would be bytes another task writes */
    if (dt->dt == SC_DT_U8 && b->in_c % 4) return 0;
    size_t w_bytes = (size_t)b->in_c * (size_t)b->out_c * sc_dtype_size(dt->dt);
    return w_bytes <= FUSE_MAX_W_BYTES;
}

sc_status sc_net_plan(sc_net *n, int input, const int *outputs, int n_outputs)
{
    for (int i = 0; i < n->n_tensors; i++) {
        sc_nn_tensor *t = &n->tensors[i];
        t->first = INT32_MAX;
        t->last = -1;
        if (!sc_mul_size(sc_nn_tensor_elems(t), sc_dtype_size(t->dt), &t->bytes)) return SC_E_RANGE;
    }
    for (int li = 0; li < n->n_layers; li++) {
        const sc_nn_layer *l = &n->layers[li];
        for (int k = 0; k < l->n_in; k++) touch(n, l->in[k], li);
        touch(n, l->out, li);
    }
    touch(n, input, -1);
    for (int k = 0; k < n_outputs; k++) touch(n, outputs[k], n->n_layers);
    /* a concatenation that sc_net_run fuses with the logistic after it reads its inputs while
     * the logistic's output is written: the inputs live through the logistic */
    for (int li = 0; li < n->n_layers; li++)
        if (fused_logistic(n, li, 0))
            for (int k = 0; k < n->layers[li].n_in; k++) touch(n, n->layers[li].in[k], li + 1);
    /* a dw → pointwise pair run fused reads the depthwise input while the pointwise output is
     * written (the unfused order would let the two share bytes): the input lives through the
     * pointwise layer, for the pairs the fusion mode set now would fuse (SC_FUSE_AUTO: those
     * with a depthwise output of 1 MB or more). Extending the others costs: the COCO model's
     * arena laid out for all its pairs ran 1-3 % slower unfused. Pairs whose input and
     * output end up sharing bytes never run fused (fused_pw checks). Decided before any
     * lifetime is extended. */
    for (int li = 0; li < n->n_layers; li++) n->dw_pw[li] = (uint8_t)dw_pw_pair(n, li);
    for (int li = 0; li < n->n_layers; li++)
        if (n->dw_pw[li] && (n->fusion == SC_FUSE_ALL ||
                             (n->fusion == SC_FUSE_AUTO &&
                              n->tensors[root_of(n, n->layers[li].out)].bytes >= FUSE_AUTO_MIN_MID_BYTES)))
            touch(n, n->layers[li].in[0], li + 1);

    /* Greedy placement, largest first, at the lowest offset that overlaps no placed tensor
     * whose lifetime overlaps. */
    int *order = malloc(sizeof(int) * (size_t)n->n_tensors);
    int *placed = malloc(sizeof(int) * (size_t)n->n_tensors);
    if (!order || !placed) { free(order); free(placed); return SC_E_NOMEM; }
    int n_roots = 0, n_placed = 0;
    for (int i = 0; i < n->n_tensors; i++)
        if (n->tensors[i].alias_of < 0 && n->tensors[i].last >= -1 && n->tensors[i].first != INT32_MAX)
            order[n_roots++] = i;
    for (int a = 1; a < n_roots; a++) {          /* insertion sort by size, descending */
        int v = order[a], b = a - 1;
        while (b >= 0 && n->tensors[order[b]].bytes < n->tensors[v].bytes) { order[b + 1] = order[b]; b--; }
        order[b + 1] = v;
    }
    size_t total = 0;
    for (int a = 0; a < n_roots; a++) {
        sc_nn_tensor *t = &n->tensors[order[a]];
        size_t size = sc_align_up(t->bytes + SC_OVERREAD), off = 0;
        for (int again = 1; again;) {
            again = 0;
            for (int b = 0; b < n_placed; b++) {
                const sc_nn_tensor *u = &n->tensors[placed[b]];
                if (u->first > t->last || t->first > u->last) continue;
                size_t usize = sc_align_up(u->bytes + SC_OVERREAD);
                if (off < u->offset + usize && u->offset < off + size) { off = u->offset + usize; again = 1; }
            }
        }
        t->offset = off;
        placed[n_placed++] = order[a];
        if (off + size > total) total = off + size;
    }
    free(order);
    free(placed);
    for (int i = 0; i < n->n_tensors; i++)
        if (n->tensors[i].alias_of >= 0) n->tensors[i].offset = n->tensors[root_of(n, i)].offset;

    sc_aligned_free(n->arena);
    n->arena = sc_aligned_alloc(total + SC_OVERREAD);
    if (!n->arena) return SC_E_NOMEM;
    memset(n->arena, 0, total + SC_OVERREAD);
    n->arena_bytes = total;
    return SC_OK;
}

/* Packs layer l for its packed kernel into dst, or returns the bytes needed (dst NULL);
 * 0 when the layer cannot use it. */
static size_t pack_layer(const sc_nn_layer *l, int f32, int dw, void *dst)
{
    if (f32) return dw ? sc_f32_dwconv3x3_pack(&l->shape, l->w, l->bias, dst)
                       : sc_f32_gemmconv_pack(&l->shape, l->w, l->bias, dst);
    return dw ? sc_u8_dwconv3x3_pack(&l->shape, &l->q, l->w, l->bias, dst)
              : sc_u8_gemmconv_pack(&l->shape, &l->q, l->w, l->bias, dst);
}

sc_status sc_net_pack_conv(sc_net *n, sc_nn_layer *l, const sc_kernels *k)
{
    l->packing = SC_PACK_NONE;
    l->packed = NULL;
    if (l->type != SC_L_CONV && l->type != SC_L_DWCONV) return SC_OK;
    int f32 = n->tensors[l->out].dt == SC_DT_F32, dw = l->type == SC_L_DWCONV;
    int have = f32 ? (dw ? k->f32_dwconv3x3 != NULL : k->f32_gemmconv != NULL)
                   : (dw ? k->u8_dwconv3x3 != NULL : k->u8_gemmconv != NULL);
    if (!have || (dw && !sc_conv_is_dw3x3(&l->shape))) return SC_OK;
    size_t bytes = pack_layer(l, f32, dw, NULL);
    if (!bytes) return SC_OK;   /* this layer stays with the reference kernel */
    void *dst = sc_net_alloc(n, bytes);
    if (!dst) return SC_E_NOMEM;
    pack_layer(l, f32, dw, dst);
    l->packed = dst;
    l->packing = dw ? SC_PACK_DW3X3 : SC_PACK_GEMM;
    return SC_OK;
}

size_t sc_net_arena_bytes(const sc_net *n) { return n->arena_bytes; }
void *sc_net_data(sc_net *n, int id) { return n->arena + n->tensors[id].offset; }

/* ---- layer execution ----------------------------------------------------------------
 *
 * Scheduling: every layer is split into tasks that own disjoint output elements (runs of
 * output rows; for a pointwise conv, runs of pixels; for a GEMM layer with heavy weights and
 * few pixels, groups of output channels; for element-wise layers, runs of elements), handed
 * out by the pool. A kernel's result for an element never depends on how the rows or
 * channels were split (kernels.h), so the output is identical for any thread count. */

/* Tasks per thread: enough for the dynamic hand-out to even out the last ones, few enough
 * that each is still tens of microseconds on the big layers. */
#define TASKS_PER_THREAD 4
/* Pixel runs of a pointwise conv are multiples of this (whole row tiles of the GEMM
 * micro-kernels, whose MR is 2, 4 or 6). */
#define PIXEL_GRAIN 12
/* Element-wise layers smaller than this run in the caller (a hand-off would cost more). */
#define ELEMWISE_MIN 16384

typedef struct conv_task {
    sc_net *net;
    const sc_nn_layer *l;
    const sc_kernels *k;
    sc_conv_shape shape;         /* the layer's, or its pixels as one column (pointwise) */
    int rows_per_task;
    int oc_per_task, n_oc_tasks; /* channel split (packed GEMM only): task i takes channel group
                                  * i % n_oc_tasks of row band i / n_oc_tasks */
} conv_task;

static void conv_rows(void *ctx, size_t index)
{
    const conv_task *t = ctx;
    const sc_nn_layer *l = t->l;
    const sc_conv_shape *s = &t->shape;
    int oy0 = (int)(index / (size_t)t->n_oc_tasks) * t->rows_per_task;
    int oy1 = SC_MIN(oy0 + t->rows_per_task, s->out_h);
    int oc0 = (int)(index % (size_t)t->n_oc_tasks) * t->oc_per_task;
    int oc1 = SC_MIN(oc0 + t->oc_per_task, s->out_c);
    const void *in = sc_net_data(t->net, l->in[0]);
    void *out = sc_net_data(t->net, l->out);
    int f32 = t->net->tensors[l->out].dt == SC_DT_F32;
    const sc_kernels *k = t->k;
    if (l->packing == SC_PACK_GEMM && (f32 ? k->f32_gemmconv != NULL : k->u8_gemmconv != NULL)) {
        if (f32) k->f32_gemmconv(s, l->act_min, l->act_max, in, l->packed, out, oy0, oy1, oc0, oc1);
        else k->u8_gemmconv(s, &l->q, in, l->packed, out, oy0, oy1, oc0, oc1);
    } else if (l->packing == SC_PACK_DW3X3 && (f32 ? k->f32_dwconv3x3 != NULL : k->u8_dwconv3x3 != NULL)) {
        if (f32) k->f32_dwconv3x3(s, l->act_min, l->act_max, in, l->packed, out, oy0, oy1);
        else k->u8_dwconv3x3(s, &l->q, in, l->packed, out, oy0, oy1);
    } else if (l->type == SC_L_CONV) {
        SC_ASSERT(t->n_oc_tasks == 1);
        if (f32) t->k->f32_conv(s, l->act_min, l->act_max, in, l->w, l->bias, out, oy0, oy1);
        else t->k->u8_conv(s, &l->q, in, l->w, l->bias, out, oy0, oy1);
    } else {
        if (f32) t->k->f32_dwconv(s, l->act_min, l->act_max, in, l->w, l->bias, out, oy0, oy1);
        else t->k->u8_dwconv(s, &l->q, in, l->w, l->bias, out, oy0, oy1);
    }
}

/* Output channels per task of a packed GEMM layer whose weights outweigh the inputs it reads
 * (more output channels than pixels: 10×10×1024, the 5×5 and 3×3 SSD extras), else 0 (split
 * rows). Row bands would each stream all the weights: a 3×3 over 256 channels to 3×3×256
 * reads 2.4 MB of float weights per band; each channel group reads its own weights once.
 * Groups of 64 channels (the widest AVX-512 tile; 64·K weights stay in L2 while every pixel
 * passes), narrower when that leaves fewer than two tasks per thread. */
static int oc_split(const sc_net *n, const sc_nn_layer *l, const sc_kernels *k, int threads)
{
    int f32 = n->tensors[l->out].dt == SC_DT_F32;
    if (l->packing != SC_PACK_GEMM || !(f32 ? k->f32_gemmconv != NULL : k->u8_gemmconv != NULL)) return 0;
    int oc = l->shape.out_c, px = l->shape.out_h * l->shape.out_w;
    if (oc <= px || oc <= 2 * SC_GEMMCONV_OC_STEP) return 0;
    /* Only heavy weights: light ones cost less to re-read than a hand-off to another core
     * (the SSD heads' 3×3×126 and 5×5×126 uint8 layers were 1 µs slower split). One thread
     * reads them once per panel of ~100 rows anyway: there split only when they are too big
     * to stay in L2 between panels (the COCO model's uint8 layers were 1-2 % slower split,
     * the float 10×10×1024 ones faster). */
    size_t w_bytes = (size_t)l->shape.k_h * l->shape.k_w * l->shape.in_c * (size_t)oc * (f32 ? 4 : 1);
    if (w_bytes < ((size_t)1 << (threads <= 1 ? 20 : 18))) return 0;
    int g = 4 * SC_GEMMCONV_OC_STEP;
    while (g > SC_GEMMCONV_OC_STEP && (oc + g - 1) / g < 2 * threads) g /= 2;
    return g;
}

static void run_conv(sc_net *n, const sc_nn_layer *l, const sc_kernels *k, sc_pool *pool)
{
    conv_task t = { n, l, k, l->shape, 0, l->shape.out_c, 1 };
    int threads = sc_pool_threads(pool), g = oc_split(n, l, k, threads);
    if (g) {
        t.rows_per_task = l->shape.out_h;
        t.oc_per_task = g;
        t.n_oc_tasks = (l->shape.out_c + g - 1) / g;
        sc_pool_parallel(pool, conv_rows, &t, (size_t)t.n_oc_tasks);
        return;
    }
    int grain = 1;
    if (l->type == SC_L_CONV && sc_conv_is_pointwise(&l->shape)) {
        /* Each output pixel depends on its own input pixel only: split the h·w pixels, not
         * the h rows, so that a 10×10 or 5×5 layer still has work for every thread. */
        int px = l->shape.out_h * l->shape.out_w;
        t.shape.in_h = t.shape.out_h = px;
        t.shape.in_w = t.shape.out_w = 1;
        grain = PIXEL_GRAIN;
    }
    int units = t.shape.out_h, per = units;
    if (threads > 1) {
        /* depthwise rows all cost the same: one contiguous band per thread, each input row
         * read by one thread (plus the halo rows), next to the pixels the same thread wrote
         * in the layer before (the pool hands out contiguous ranges); 4 bands per thread
         * were 1-2 % slower end to end on 2 threads (float SSD 7.30 -> 7.19 ms median) */
        int tasks = l->type == SC_L_DWCONV ? threads : threads * TASKS_PER_THREAD;
        per = (units + tasks - 1) / tasks;
        per = (per + grain - 1) / grain * grain;
    }
    t.rows_per_task = per;
    sc_pool_parallel(pool, conv_rows, &t, (size_t)((units + per - 1) / per));
}

/* ---- depthwise 3×3 → pointwise pairs, one pass over row bands --------------------------
 *
 * Unfused, a depthwise layer writes its whole output (150×150×32 floats: 2.9 MB) and the 1×1
 * GEMM after it reads it back from L3 or memory. Fused, a task owns a run of depthwise output
 * rows (one contiguous run per thread, as run_conv splits depthwise layers) and walks it in
 * bands of a few rows: the depthwise kernel computes the band's rows into a band buffer (the
 * task's first rows of the depthwise output tensor, reused for every band), then the GEMM
 * kernel reads those pixels (the pointwise shape with the pixels as one column, as run_conv
 * runs it) while they are still in L1/L2. Each element is computed by the same kernels, whose
 * results do not depend on the row or pixel range, so the pointwise output has the bytes of
 * the unfused run, for any thread count; the depthwise output tensor, which nothing else
 * reads, is left holding the last bands.
 *
 * Measured (AVX-512, 2 shared cores; `SC_FUSE=0|2 ssdcam bench` per-layer medians alternated
 * 3×, and fused/unfused interleaved in one process): the float ssd_mnv1_300 pairs conv1, 2, 3,
 * 5 together -0.3..-2 % at 1 thread (conv1 -2..-9 %), -3..-4 % at 2 threads; end to end
 * within the ±2 % noise. Fusing every pair: conv4 (38×38×128 s2, 740 KB) +6..+12 %, the COCO
 * model's uint8 pairs +1..+3 % at 1 thread (-5 % at 2), and its arena laid out for them ran
 * 1-3 % slower even unfused. Hence SC_FUSE_AUTO: depthwise outputs that would not stay in L2
 * (float conv1, 2, 3, 5). Writing each band into its own rows of the tensor instead of one
 * reused buffer was +1.5 % at 1 thread: the 1×1 GEMM is compute-bound and the prefetchers
 * hide most of the L3 round trip, so the gain is small. */

/* Depthwise output bytes of one band (a band's dw output and 1×1 output stay in L2), and the
 * fewest pixels a band gives the GEMM (its panels are ~96 rows). */
#define FUSE_BAND_BYTES ((size_t)128 * 1024)
#define FUSE_BAND_MIN_PIXELS 96

/* 1 when sc_net_run runs layers i and i + 1 as one fused pass with kernels k on `threads`
 * threads: a structural pair (dw_pw_pair), fusion on (SC_FUSE_AUTO: a depthwise output of at
 * least FUSE_AUTO_MIN_MID_BYTES), both layers packed and their packed
 * kernels present, the 1×1 layer not split by channels, and (checked again after plan) the
 * pointwise output sharing no bytes with the depthwise input or output. */
static int fused_pw(const sc_net *n, const sc_kernels *k, int threads, int i)
{
    if (n->fusion == SC_FUSE_OFF || i < 0 || i + 1 >= n->n_layers || !n->dw_pw[i]) return 0;
    const sc_nn_layer *dw = &n->layers[i], *pw = &n->layers[i + 1];
    if (n->fusion == SC_FUSE_AUTO && n->tensors[root_of(n, dw->out)].bytes < FUSE_AUTO_MIN_MID_BYTES) return 0;
    int f32 = n->tensors[dw->out].dt == SC_DT_F32;
    if (dw->packing != SC_PACK_DW3X3 || pw->packing != SC_PACK_GEMM) return 0;
    if (f32 ? !k->f32_dwconv3x3 || !k->f32_gemmconv : !k->u8_dwconv3x3 || !k->u8_gemmconv) return 0;
    if (oc_split(n, pw, k, threads)) return 0;
    const sc_nn_tensor *x = &n->tensors[root_of(n, dw->in[0])], *d = &n->tensors[root_of(n, dw->out)];
    const sc_nn_tensor *y = &n->tensors[root_of(n, pw->out)];
    size_t ys = sc_align_up(y->bytes + SC_OVERREAD);
    for (int a = 0; a < 2; a++) {
        const sc_nn_tensor *u = a ? d : x;
        size_t us = sc_align_up(u->bytes + SC_OVERREAD);
        if (u->offset < y->offset + ys && y->offset < u->offset + us) return 0;
    }
    return 1;
}

typedef struct dw_pw_task {
    sc_net *net;
    const sc_nn_layer *dw, *pw;
    const sc_kernels *k;
    sc_conv_shape pw_shape;      /* the pointwise layer's pixels as one column */
    int rows_per_task;           /* depthwise output rows */
    int band_rows;               /* rows per band (the last band of a task may be shorter) */
} dw_pw_task;

static void dw_pw_rows(void *ctx, size_t index)
{
    const dw_pw_task *t = ctx;
    const sc_nn_layer *dw = t->dw, *pw = t->pw;
    const sc_conv_shape *ds = &dw->shape;
    const int w = ds->out_w;
    const int oy0 = (int)index * t->rows_per_task, oy1 = SC_MIN(oy0 + t->rows_per_task, ds->out_h);
    const size_t esz = sc_dtype_size(t->net->tensors[dw->out].dt);
    const size_t in_row = (size_t)ds->in_w * (size_t)ds->in_c * esz, mid_row = (size_t)w * (size_t)ds->out_c * esz;
    const size_t out_px = (size_t)pw->shape.out_c * esz;
    const uint8_t *in = sc_net_data(t->net, dw->in[0]);
    uint8_t *mid = sc_net_data(t->net, dw->out), *out = sc_net_data(t->net, pw->out);
    const sc_kernels *k = t->k;
    /* bands of equal height (the task's rows over ceil(rows / band_rows) bands) */
    int n_bands = (oy1 - oy0 + t->band_rows - 1) / t->band_rows;
    if (n_bands < 1) return;
    int band = (oy1 - oy0 + n_bands - 1) / n_bands;
    /* every band goes to the task's own first rows of the depthwise output, which stay in
     * L1/L2 from one band to the next (no new lines to fetch and write back per band) */
    uint8_t *buf = mid + (size_t)oy0 * mid_row;
    for (int y = oy0; y < oy1; y += band) {
        int y1 = SC_MIN(y + band, oy1);
        /* output rows [y, y1) as rows [0, y1 - y) of the same convolution on the input from
         * row y·stride − pad_top on: no padding above (y > 0 starts inside the input), the
         * taps below still checked against in_h; the kernels' results depend only on the taps */
        sc_conv_shape s = *ds;
        const uint8_t *src = in;
        int r0 = 0, r1 = y1;
        if (y > 0) {
            int start = y * ds->stride_h - ds->pad_top;
            SC_ASSERT(start >= 0);
            src += (size_t)start * in_row;
            s.in_h -= start;
            s.pad_top = 0;
            s.out_h = y1 - y;
            r1 = y1 - y;
        }
        /* the band's pixels, one column, as the first rows of a GEMM writing pixel y·w on */
        sc_conv_shape p = t->pw_shape;
        p.in_h = p.out_h = (y1 - y) * w;
        uint8_t *dst = out + (size_t)y * w * out_px;
        if (esz == 4) {
            k->f32_dwconv3x3(&s, dw->act_min, dw->act_max, (const float *)(const void *)src, dw->packed,
                             (float *)(void *)buf, r0, r1);
            k->f32_gemmconv(&p, pw->act_min, pw->act_max, (const float *)(const void *)buf, pw->packed,
                            (float *)(void *)dst, 0, p.out_h, 0, pw->shape.out_c);
        } else {
            k->u8_dwconv3x3(&s, &dw->q, src, dw->packed, buf, r0, r1);
            k->u8_gemmconv(&p, &pw->q, buf, pw->packed, dst, 0, p.out_h, 0, pw->shape.out_c);
        }
    }
}

/* Runs layers i (depthwise) and i + 1 (pointwise) fused; fused_pw(n, k, threads, i) holds. */
static void run_dw_pw(sc_net *n, int i, const sc_kernels *k, sc_pool *pool)
{
    const sc_nn_layer *dw = &n->layers[i], *pw = &n->layers[i + 1];
    dw_pw_task t = { n, dw, pw, k, pw->shape, 0, 0 };
    int px = pw->shape.out_h * pw->shape.out_w;
    t.pw_shape.in_h = t.pw_shape.out_h = px;
    t.pw_shape.in_w = t.pw_shape.out_w = 1;
    const int h = dw->shape.out_h, w = dw->shape.out_w;
    size_t row_bytes = (size_t)w * (size_t)dw->shape.out_c * sc_dtype_size(n->tensors[dw->out].dt);
    int band = (int)SC_MIN(FUSE_BAND_BYTES / (row_bytes ? row_bytes : 1), (size_t)h);
    band = SC_MAX(band, (FUSE_BAND_MIN_PIXELS + w - 1) / w);
    t.band_rows = SC_MAX(band, 1);
    /* one contiguous run of rows per thread, as run_conv splits depthwise layers */
    int threads = sc_pool_threads(pool);
    t.rows_per_task = (h + threads - 1) / threads;
    sc_pool_parallel(pool, dw_pw_rows, &t, (size_t)((h + t.rows_per_task - 1) / t.rows_per_task));
}

static inline uint8_t clamp_u8(int32_t v, int32_t lo, int32_t hi)
{
    return (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* dst[i] = lut[src[i]] (packing eight looked-up bytes into one 64-bit store was slower) */
static void map_u8(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t lut[256])
{
    for (size_t i = 0; i < n; i++) dst[i] = lut[src[i]];
}

/* Element-wise layers: a task is a run of `per` elements. */
typedef struct elem_task {
    sc_net *net;
    const sc_nn_layer *l;
    size_t count, per;
    uint8_t lut[SC_NN_MAX_IN][256];   /* concat: input byte → output byte, when rescaled */
    int same[SC_NN_MAX_IN];           /* concat: input quantised like the output (or f32) */
    const sc_nn_layer *post;          /* concat: a logistic applied on the way (fused), or NULL */
    sc_f32_exp_fn exp;                /* f32 logistic: the kernel table's exp */
} elem_task;

static void run_elemwise(sc_pool *pool, void (*fn)(void *, size_t), elem_task *t)
{
    size_t tasks = 1;
    int threads = sc_pool_threads(pool);
    if (threads > 1 && t->count >= ELEMWISE_MIN) tasks = (size_t)threads * TASKS_PER_THREAD;
    t->per = ((t->count + tasks - 1) / tasks + 63) & ~(size_t)63;
    sc_pool_parallel(pool, fn, t, (t->count + t->per - 1) / t->per);
}

static void add_span(void *ctx, size_t index)
{
    const elem_task *t = ctx;
    const sc_net *n = t->net;
    const sc_nn_layer *l = t->l;
    size_t e0 = index * t->per, e1 = SC_MIN(e0 + t->per, t->count);
    const sc_nn_tensor *a = &n->tensors[l->in[0]], *b = &n->tensors[l->in[1]], *o = &n->tensors[l->out];
    if (o->dt == SC_DT_F32) {
        const float *x = (const float *)(const void *)(n->arena + a->offset);
        const float *y = (const float *)(const void *)(n->arena + b->offset);
        float *z = (float *)(void *)(n->arena + o->offset);
        for (size_t i = e0; i < e1; i++) {
            float v = x[i] + y[i];
            z[i] = v < l->act_min ? l->act_min : v > l->act_max ? l->act_max : v;
        }
        return;
    }
    const uint8_t *x = n->arena + a->offset, *y = n->arena + b->offset;
    uint8_t *z = n->arena + o->offset;
    for (size_t i = e0; i < e1; i++) {
        int32_t sx = ((int32_t)x[i] - a->zp) * (1 << 20), sy = ((int32_t)y[i] - b->zp) * (1 << 20);
        int32_t v = sc_requantize(sx, l->add_mult[0], l->add_shift[0]) +
                    sc_requantize(sy, l->add_mult[1], l->add_shift[1]);
        v = sc_requantize(v, l->add_mult[2], l->add_shift[2]) + o->zp;
        z[i] = clamp_u8(v, l->q.act_min, l->q.act_max);
    }
}

static void run_add(sc_net *n, const sc_nn_layer *l, sc_pool *pool)
{
    elem_task t = { .net = n, .l = l, .count = sc_nn_tensor_elems(&n->tensors[l->out]) };
    run_elemwise(pool, add_span, &t);
}

/* y[i] = 1 / (1 + e^-x[i]) for i in [0, len) (y may be x): element by element, so the
 * result does not depend on how the elements are split. Blocks of a fixed LOGISTIC_BLOCK
 * elements (through a stack buffer) let compilers vectorise the negation and the division
 * at -O2 too; a shorter tail runs the same operations. */
#define LOGISTIC_BLOCK 256
static void logistic_f32(const float *x, float *y, size_t len, sc_f32_exp_fn exp_fn)
{
    float e[LOGISTIC_BLOCK];
    size_t i0 = 0;
    for (; i0 + LOGISTIC_BLOCK <= len; i0 += LOGISTIC_BLOCK) {
        for (size_t i = 0; i < LOGISTIC_BLOCK; i++) e[i] = -x[i0 + i];
        exp_fn(LOGISTIC_BLOCK, e, e);
        for (size_t i = 0; i < LOGISTIC_BLOCK; i++) y[i0 + i] = 1.0f / (1.0f + e[i]);
    }
    size_t m = len - i0;
    for (size_t i = 0; i < m; i++) e[i] = -x[i0 + i];
    exp_fn(m, e, e);
    for (size_t i = 0; i < m; i++) y[i0 + i] = 1.0f / (1.0f + e[i]);
}

/* Output elements [e0, e1) of a concatenation, in the flat order of the output. */
static void concat_span(void *ctx, size_t index)
{
    const elem_task *t = ctx;
    const sc_net *n = t->net;
    const sc_nn_layer *l = t->l;
    size_t e0 = index * t->per, e1 = SC_MIN(e0 + t->per, t->count);
    const sc_nn_tensor *o = &n->tensors[l->out];
    int dims[3] = { o->h, o->w, o->c };
    size_t inner = 1;
    for (int d = l->axis + 1; d < 3; d++) inner *= (size_t)dims[d];
    size_t esz = sc_dtype_size(o->dt), out_row = (size_t)dims[l->axis] * inner;
    const sc_nn_layer *post = t->post;
    /* fused: the logistic's output receives the elements, in the same flat order */
    uint8_t *out = n->arena + (post ? n->tensors[post->out].offset : o->offset);
    for (size_t r = e0 / out_row; r * out_row < e1; r++) {
        size_t base = r * out_row;
        size_t lo = SC_MAX(e0, base) - base, hi = SC_MIN(e1, base + out_row) - base;
        size_t col = 0;
        for (int k = 0; k < l->n_in && col < hi; k++) {
            const sc_nn_tensor *in_t = &n->tensors[l->in[k]];
            int tdims[3] = { in_t->h, in_t->w, in_t->c };
            size_t chunk = (size_t)tdims[l->axis] * inner;
            size_t s0 = SC_MAX(lo, col), s1 = SC_MIN(hi, col + chunk);
            if (s0 < s1) {
                const uint8_t *in = n->arena + in_t->offset + (r * chunk + (s0 - col)) * esz;
                uint8_t *dst = out + (base + s0) * esz;
                if (post && o->dt == SC_DT_F32) {
                    logistic_f32((const float *)(const void *)in, (float *)(void *)dst, s1 - s0, t->exp);
                } else if (t->same[k] && !post) {
                    memcpy(dst, in, (s1 - s0) * esz);
                } else {
                    map_u8(dst, in, s1 - s0, t->lut[k]);
                }
            }
            col += chunk;
        }
    }
}

/* Runs a concatenation; with `post` (a logistic that alone reads its output), writes the
 * logistic of each element straight into post's output instead: one pass, and the same
 * bytes as the two layers one after the other (uint8: the two tables composed). */
static void run_concat(sc_net *n, const sc_nn_layer *l, const sc_nn_layer *post,
                       const sc_kernels *kern, sc_pool *pool)
{
    const sc_nn_tensor *o = &n->tensors[l->out];
    elem_task t = { .net = n, .l = l, .count = sc_nn_tensor_elems(o), .post = post, .exp = kern->f32_exp };
    for (int k = 0; k < l->n_in; k++) {
        const sc_nn_tensor *in_t = &n->tensors[l->in[k]];
        t.same[k] = o->dt == SC_DT_F32 || (in_t->scale == o->scale && in_t->zp == o->zp);
        if (t.same[k]) {
            if (post && o->dt == SC_DT_U8)
                for (int v = 0; v < 256; v++) t.lut[k][v] = post->lut[v];
            continue;
        }
        /* TFLite's ConcatenationWithScaling: float rescale, round, clamp — a function of the
         * input byte alone, so tabulated once per run. */
        float scale = in_t->scale / o->scale, bias = -(float)in_t->zp * scale;
        for (int v = 0; v < 256; v++) {
            int32_t q = (int32_t)roundf((float)v * scale + bias) + o->zp;
            t.lut[k][v] = clamp_u8(q, 0, 255);
            if (post) t.lut[k][v] = post->lut[t.lut[k][v]];
        }
    }
    run_elemwise(pool, concat_span, &t);
}


static void logistic_span(void *ctx, size_t index)
{
    const elem_task *t = ctx;
    const sc_net *n = t->net;
    const sc_nn_layer *l = t->l;
    size_t e0 = index * t->per, e1 = SC_MIN(e0 + t->per, t->count);
    if (n->tensors[l->out].dt == SC_DT_F32) {
        const float *x = (const float *)(const void *)(n->arena + n->tensors[l->in[0]].offset);
        float *y = (float *)(void *)(n->arena + n->tensors[l->out].offset);
        logistic_f32(x + e0, y + e0, e1 - e0, t->exp);
        return;
    }
    const uint8_t *x = n->arena + n->tensors[l->in[0]].offset;
    uint8_t *y = n->arena + n->tensors[l->out].offset;
    map_u8(y + e0, x + e0, e1 - e0, l->lut);
}

static void run_logistic(sc_net *n, const sc_nn_layer *l, const sc_kernels *k, sc_pool *pool)
{
    elem_task t = { .net = n, .l = l, .count = sc_nn_tensor_elems(&n->tensors[l->out]), .exp = k->f32_exp };
    run_elemwise(pool, logistic_span, &t);
}

void sc_net_set_fusion(sc_net *n, sc_fuse_mode mode)
{
    n->fusion = mode == SC_FUSE_OFF || mode == SC_FUSE_ALL ? mode : SC_FUSE_AUTO;
}
sc_fuse_mode sc_net_fusion(const sc_net *n) { return (sc_fuse_mode)n->fusion; }

int sc_net_fused(const sc_net *n, const sc_kernels *k, const sc_pool *pool, int i)
{
    int threads = sc_pool_threads(pool);
    if (fused_pw(n, k, threads, i)) return 1;
    if (fused_pw(n, k, threads, i - 1)) return -1;
    return 0;
}

void sc_net_run_layer(sc_net *n, const sc_kernels *k, sc_pool *pool, int i)
{
    const sc_nn_layer *l = &n->layers[i];
    switch (l->type) {
    case SC_L_CONV:
    case SC_L_DWCONV: run_conv(n, l, k, pool); break;
    case SC_L_ADD: run_add(n, l, pool); break;
    case SC_L_CONCAT: run_concat(n, l, NULL, k, pool); break;
    case SC_L_LOGISTIC: run_logistic(n, l, k, pool); break;
    case SC_L_RESHAPE: break;   /* an alias: nothing to move */
    }
}

void sc_net_run_step(sc_net *n, const sc_kernels *k, sc_pool *pool, int i)
{
    int threads = sc_pool_threads(pool);
    if (i > 0 && (fused_logistic(n, i - 1, 1) || fused_pw(n, k, threads, i - 1))) return;   /* ran with i - 1 */
    const sc_nn_layer *post = fused_logistic(n, i, 1);
    if (post) run_concat(n, &n->layers[i], post, k, pool);
    else if (fused_pw(n, k, threads, i)) run_dw_pw(n, i, k, pool);
    else sc_net_run_layer(n, k, pool, i);
}

void sc_net_run(sc_net *n, const sc_kernels *k, sc_pool *pool)
{
    for (int i = 0; i < n->n_layers; i++) sc_net_run_step(n, k, pool, i);
}
