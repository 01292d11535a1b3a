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
    uint8_t *link;               /* per layer, set by plan: layer i → i + 1 may run fused (chain_link) */
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
    n->link = calloc((size_t)max_layers + 1, 1);
    n->fusion = SC_FUSE_AUTO;
    if (!n->tensors || !n->layers || !n->allocs || !n->link) { sc_net_destroy(n); return SC_E_NOMEM; }
    *out = n;
    return SC_OK;
}

void sc_net_destroy(sc_net *n)
{
    if (!n) return;
    for (int i = 0; i < n->n_allocs; i++) sc_aligned_free(n->allocs[i]);
    sc_aligned_free(n->arena);
    free(n->allocs);
    free(n->link);
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

/* Weights up to this size are re-read per band of a fused chain (from L2: they stay there
 * between bands). Larger ones (the 19×19×512 float 1×1 layers: 1 MB) would be streamed again
 * for every band, costing more than the activation traffic the fusion saves. */
#define FUSE_MAX_W_BYTES ((size_t)256 * 1024)

/* SC_FUSE_AUTO links two layers only when the tensor between them is at least this big
 * (about L2): a smaller one stays in L2 unfused anyway, and fusing it measured slower (float
 * 38×38×128, 740 KB: +6-12 %; every uint8 dw → 1×1 pair of the COCO model at 1 thread: +1-3 %). */
#define FUSE_AUTO_MIN_MID_BYTES ((size_t)1024 * 1024)

/* A layer a banded chain can run: a conv or depthwise 3×3 with one input, dilation 1, weights
 * of at most FUSE_MAX_W_BYTES. */
static int chain_layer(const sc_net *n, const sc_nn_layer *l)
{
    const sc_conv_shape *s = &l->shape;
    if (l->n_in != 1 || s->dil_h != 1 || s->stride_h < 1 || s->k_h < 1) return 0;
    if (l->type == SC_L_DWCONV) return sc_conv_is_dw3x3(s);
    if (l->type != SC_L_CONV) return 0;
    size_t w_bytes = (size_t)s->k_h * (size_t)s->k_w * (size_t)s->in_c * (size_t)s->out_c *
                     sc_dtype_size(n->tensors[l->out].dt);
    return w_bytes <= FUSE_MAX_W_BYTES;
}

/* Layer i's output is read by layer i + 1 alone (no graph output, no alias read elsewhere)
 * and both are chain layers of one dtype: sc_net_run may run them in one pass over row bands
 * (run_chain). Structure only (needs the lifetimes of plan's first pass), so the arena layout
 * does not depend on the packing or the kernels; the packing, the kernels, the thread count
 * and sc_net_set_fusion decide at run time (chain_link_ok). */
static int chain_link(const sc_net *n, int i)
{
    if (i < 0 || i + 1 >= n->n_layers) return 0;
    const sc_nn_layer *a = &n->layers[i], *b = &n->layers[i + 1];
    if (!chain_layer(n, a) || !chain_layer(n, b)) return 0;
    int x = root_of(n, a->in[0]), d = root_of(n, a->out), y = root_of(n, b->out);
    const sc_nn_tensor *dt = &n->tensors[d];
    if (root_of(n, b->in[0]) != d || dt->first != i || dt->last != i + 1 || y == d || y == x || x == d ||
        n->tensors[x].dt != dt->dt || n->tensors[y].dt != dt->dt)
        return 0;
    const sc_conv_shape *p = &a->shape, *q = &b->shape;
    if (q->in_h != p->out_h || q->in_w != p->out_w || q->in_c != p->out_c) return 0;
    /* uint8 GEMM rows may be read up to the next multiple of 4 bytes (core/kernels/packed.h):
     * past a band's last pixel that would be bytes another band or task writes */
    if (dt->dt == SC_DT_U8 && sc_conv_is_pointwise(q) && q->in_c % 4) return 0;
    return 1;
}

/* The link i → i + 1 is one the fusion mode `mode` runs fused (SC_FUSE_AUTO: the tensor
 * between them is at least FUSE_AUTO_MIN_MID_BYTES). */
static int link_mode_ok(const sc_net *n, int mode, int i)
{
    return mode == SC_FUSE_ALL ||
           (mode == SC_FUSE_AUTO && n->tensors[root_of(n, n->layers[i].out)].bytes >= FUSE_AUTO_MIN_MID_BYTES);
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
    /* a chain of layers run fused reads its input and the tensors between its layers while
     * its last layer's output is written (the unfused order would let them share bytes): all
     * of them live through the whole chain, for the links the fusion mode set now would fuse
     * (SC_FUSE_AUTO: tensors of 1 MB or more between the layers). Extending the others costs:
     * the COCO model's arena laid out for all its dw → 1×1 pairs ran 1-3 % slower unfused.
     * Decided before any lifetime is extended; run_chain checks the bytes again. */
    for (int li = 0; li < n->n_layers; li++) n->link[li] = (uint8_t)(chain_link(n, li) && link_mode_ok(n, n->fusion, li));
    for (int a = 0; a < n->n_layers; a++) {
        if (!n->link[a] || (a > 0 && n->link[a - 1])) continue;
        int b = a + 1;
        while (n->link[b]) b++;
        for (int li = a; li <= b; li++) {
            touch(n, n->layers[li].in[0], a);
            touch(n, n->layers[li].in[0], b);
            touch(n, n->layers[li].out, a);
            touch(n, n->layers[li].out, b);
        }
    }

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

/* ---- chains of layers, one pass over row bands -------------------------------------------
 *
 * Unfused, every layer writes its whole output and the next reads it back: the float
 * MobileNet's first layers make 150×150 and 75×75 maps of 2.9-5.8 MB each, which go through
 * L3 or memory. A chain is a run of conv / depthwise layers, each reading only the one before
 * (chain_link), run as one pass: a task owns a run of the last layer's output rows and walks
 * it in bands. For each band it computes, layer by layer, the rows the next layer needs and
 * has not got yet, into a window: a few rows of that layer's output tensor, the task's own
 * (nothing else reads those tensors, and plan keeps every tensor of a chain apart). A window
 * holds the rows a band needs; when it is full, the rows still needed (the 3×3 halo) move to
 * its start, or, when a depthwise 3×3 reads it, it is a ring (the kernels read row r of it at
 * slot r % rows, sc_conv_shape.ring_rows) and nothing moves. So each band's rows are read
 * from L1/L2 right after they are written, and the windows' bytes are reused band after band.
 * The rows of a halo between two tasks are computed by both, each into its own window. Every
 * element is computed by the same kernels, whose results do not depend on the row or pixel
 * range, so the chain's last output has the bytes of the unfused run, for any thread count;
 * the tensors inside a chain are left holding window rows.
 *
 * Measured (AVX-512, 2 shared cores, `ssdcam bench --only ssd --prec fp32`, per-layer medians
 * of 40, under chrt -f 10, alternated): float ssd_mnv1_300 conv0 → conv4/dw as one chain of 8
 * layers 2.43-2.59 ms at 1 thread, against 3.04 ms as session 3 ran them (conv0 alone, then
 * three dw → 1×1 pairs, then conv4/dw alone); end to end 11.8-12.2 ms against 12.2-13.7.
 * conv4 → conv6/dw as one chain of 4: 1.47 ms against 1.52 split. Band budgets of 200, 384
 * and 1200 KB were within the noise. Windows hold exactly the rows one band needs (factor 1):
 * the rows still needed move to the window's start at every band, and the windows' bytes
 * (conv0 → conv4/dw: ~1 MB against ~2 MB at factor 2) fit L2 better. Session 9 timed factor 1
 * against 2 inside one process, alternating inference by inference (rdtsc around each chain,
 * medians of 150-300 each, 2 shared cores, chrt -f 10): float SSD chain 1 -0.8..-2.5 % at 1
 * thread (five runs) and -6..-8 % at 2, chain 2 ±0.2 % at 1 thread and -1..-2 % at 2; the
 * COCO model's uint8 chain -0.5..-1.4 % at 1 thread, -2.5..-3.4 % at 2; whole float
 * inferences the same way -0.1..-0.2 % at 1 thread, -0.8..-1.1 % at 2. (Session 5, timing
 * whole runs alternately, had found factor 2 faster: 2.43-2.59 ms against 2.59-2.60; whole
 * task shares, never reused, 2.70-2.92. Other bands for either float chain: no change.)
 * Earlier (session 3, chains of two only): fusing the float conv4 pair (38×38×128 s2, 740 KB)
 * +6..+12 %, the COCO model's uint8 pairs +1..+3 % at 1 thread; hence SC_FUSE_AUTO links
 * only tensors of 1 MB or more. Rings (session 10): the moves cost 0.11 ms of a float
 * inference at 1 thread (6.3 MB moved); rings for the windows a depthwise reads made whole
 * inferences 0.4-0.5 % faster (the same alternating A/B, two runs of 400). Only a depthwise
 * reads a ring: the GEMM kernels read their input rows as one run of pixels. */

/* Bytes of new rows (all the chain's layers) per band; the fewest pixels a band gives each
 * 1×1 GEMM of the chain (its panels are ~96 rows); a window's rows as a multiple of the rows
 * one band needs (CHAIN_WINDOW_FACTOR); the most layers in one chain. */
#define CHAIN_BAND_BYTES ((size_t)384 * 1024)
#define CHAIN_MIN_PIXELS 96
#define CHAIN_WINDOW_FACTOR 1
#define CHAIN_MAX 16

static size_t row_bytes_out(const sc_net *n, const sc_nn_layer *l)
{
    return (size_t)l->shape.out_w * (size_t)l->shape.out_c * sc_dtype_size(n->tensors[l->out].dt);
}

/* Layer l runs with a packed kernel of k (what a chain calls). */
static int packed_ok(const sc_net *n, const sc_kernels *k, const sc_nn_layer *l)
{
    int f32 = n->tensors[l->out].dt == SC_DT_F32;
    if (l->packing == SC_PACK_GEMM) return f32 ? k->f32_gemmconv != NULL : k->u8_gemmconv != NULL;
    if (l->packing == SC_PACK_DW3X3) return f32 ? k->f32_dwconv3x3 != NULL : k->u8_dwconv3x3 != NULL;
    return 0;
}

/* Layers i and i + 1 run fused with kernels k on `threads` threads: plan linked them, the
 * fusion mode set now links them, both run packed kernels, neither is split by channels. */
static int chain_link_ok(const sc_net *n, const sc_kernels *k, int threads, int i)
{
    if (n->fusion == SC_FUSE_OFF || i < 0 || i + 1 >= n->n_layers || !n->link[i]) return 0;
    const sc_nn_layer *a = &n->layers[i], *b = &n->layers[i + 1];
    return link_mode_ok(n, n->fusion, i) && packed_ok(n, k, a) && packed_ok(n, k, b) &&
           !oc_split(n, a, k, threads) && !oc_split(n, b, k, threads);
}

/* How a chain runs: layers [head, head + len), `tasks` tasks of `rows` rows of the last
 * layer's output, walked in bands of `band` rows. */
typedef struct chain_plan {
    int head, len, tasks, rows, band;
    int cap[CHAIN_MAX];          /* rows of each window */
    int ring[CHAIN_MAX];         /* cap[j] when window j is a ring (its reader is a depthwise 3×3), else 0 */
} chain_plan;

/* Sets c->cap for bands of `band` rows of the last layer: the window between layers j and
 * j + 1 must hold the rows layer j + 1 reads for the rows it adds in one band (all of them
 * new at the first band), and gets CHAIN_WINDOW_FACTOR times that. 0 when some window does
 * not fit in its task's share of the tensor (1/tasks of it, less a row kept free: kernels
 * may read a little past the rows they use). */
static int chain_windows_fit(const sc_net *n, chain_plan *c, int band)
{
    int r = band;
    for (int j = c->len - 2; j >= 0; j--) {
        const sc_conv_shape *s = &n->layers[c->head + j + 1].shape;
        int h = n->layers[c->head + j].shape.out_h;
        r = SC_MIN((r - 1) * s->stride_h + s->k_h, h);
        int cap = c->tasks > 1 ? h / c->tasks - 1 : h;
        if (r > cap) return 0;
        c->cap[j] = SC_MIN(cap, CHAIN_WINDOW_FACTOR * r);
        c->ring[j] = n->layers[c->head + j + 1].packing == SC_PACK_DW3X3 ? c->cap[j] : 0;
    }
    return 1;
}

/* Fills c for layers [head, head + len) on `threads` threads; 0 when no band fits. */
static int chain_fit(const sc_net *n, int head, int len, int threads, chain_plan *c)
{
    const sc_nn_layer *f = &n->layers[head + len - 1];
    int h = f->shape.out_h;
    c->head = head;
    c->len = len;
    c->tasks = SC_MAX(1, SC_MIN(threads, h));
    c->rows = (h + c->tasks - 1) / c->tasks;
    /* bytes of new rows per last-layer row: each earlier layer makes stride-product rows */
    size_t per = row_bytes_out(n, f), mult = 1;
    for (int j = len - 2; j >= 0; j--) {
        mult *= (size_t)n->layers[head + j + 1].shape.stride_h;
        per += mult * row_bytes_out(n, &n->layers[head + j]);
    }
    int band = (int)SC_MIN(CHAIN_BAND_BYTES / (per ? per : 1), (size_t)h);
    /* each 1×1 GEMM of the chain gets at least CHAIN_MIN_PIXELS pixels per band */
    mult = 1;
    for (int j = len - 1; j >= 0; j--) {
        const sc_nn_layer *l = &n->layers[head + j];
        int px = (int)mult * l->shape.out_w;
        if (sc_conv_is_pointwise(&l->shape)) band = SC_MAX(band, (CHAIN_MIN_PIXELS + px - 1) / px);
        if (j > 0) mult *= (size_t)l->shape.stride_h;
    }
    for (band = SC_MAX(1, SC_MIN(band, c->rows)); band >= 1; band--)
        if (chain_windows_fit(n, c, band)) break;
    c->band = band;
    return band >= 1;
}

/* The tensors of layers [head, head + len) share no bytes (plan keeps them apart; checked
 * in case the fusion mode changed after plan). */
static int chain_apart(const sc_net *n, int head, int len)
{
    int ids[CHAIN_MAX + 1];
    ids[0] = root_of(n, n->layers[head].in[0]);
    for (int j = 0; j < len; j++) ids[j + 1] = root_of(n, n->layers[head + j].out);
    for (int a = 0; a <= len; a++)
        for (int b = a + 1; b <= len; b++) {
            const sc_nn_tensor *u = &n->tensors[ids[a]], *v = &n->tensors[ids[b]];
            size_t us = sc_align_up(u->bytes + SC_OVERREAD), vs = sc_align_up(v->bytes + SC_OVERREAD);
            if (ids[a] == ids[b] || (u->offset < v->offset + vs && v->offset < u->offset + us)) return 0;
        }
    return 1;
}

/* The fused chain that layer i belongs to with kernels k on `threads` threads: 1 and c
 * filled, or 0 (layer i runs alone). A run of linked layers is cut into chains from its
 * start, each the longest of at most CHAIN_MAX layers whose windows fit. */
static int chain_of(const sc_net *n, const sc_kernels *k, int threads, int i, chain_plan *c)
{
    if (!chain_link_ok(n, k, threads, i) && !chain_link_ok(n, k, threads, i - 1)) return 0;
    int start = i, end = i;
    while (chain_link_ok(n, k, threads, start - 1)) start--;
    while (chain_link_ok(n, k, threads, end)) end++;
    for (int s = start; s <= i;) {
        int len = SC_MIN(end - s + 1, CHAIN_MAX);
        while (len >= 2 && !(chain_apart(n, s, len) && chain_fit(n, s, len, threads, c))) len--;
        if (len < 2) { s++; continue; }
        if (i < s + len) return 1;
        s += len;
    }
    return 0;
}

/* Output rows [r0, r1) of conv layer l: input row `in_lo` at `in`, output row `out_lo` at `out`
 * (the windows' first rows; the whole tensor has row 0 there), or, for a ring of in_ring
 * (out_ring) rows, row r at row r % in_ring of `in` (r % out_ring of `out`). Rows [r0, r1) are
 * computed as rows [0, r1 - r0) of the same convolution on the input from row
 * r0·stride − pad_top on: no padding above (r0 > 0 starts inside the input), the taps below
 * still checked against the tensor's height; the kernels' results depend only on the taps, so
 * output rows wrapping around a ring are computed as two runs. Only a depthwise 3×3 reads a
 * ring (sc_conv_shape.ring_rows). */
static void chain_layer_rows(const sc_net *n, const sc_kernels *k, const sc_nn_layer *l, const uint8_t *in,
                             int in_lo, int in_ring, uint8_t *out, int out_lo, int out_ring, int r0, int r1)
{
    if (out_ring > 0) {
        const size_t out_row = row_bytes_out(n, l);
        while (r0 < r1) {
            int slot = r0 % out_ring, e = SC_MIN(r1, r0 + out_ring - slot);
            chain_layer_rows(n, k, l, in, in_lo, in_ring, out + (size_t)slot * out_row, r0, 0, r0, e);
            r0 = e;
        }
        return;
    }
    const sc_conv_shape *ls = &l->shape;
    const size_t esz = sc_dtype_size(n->tensors[l->out].dt);
    const size_t in_row = (size_t)ls->in_w * (size_t)ls->in_c * esz, out_row = row_bytes_out(n, l);
    int f32 = esz == 4;
    sc_conv_shape s = *ls;
    int start = r0 * ls->stride_h - ls->pad_top, b = r1 - r0;   /* kernel rows [0, b) */
    if (l->packing == SC_PACK_GEMM && sc_conv_is_pointwise(ls)) {
        /* the rows' pixels as one column */
        s.in_h = s.out_h = (r1 - r0) * ls->out_w;
        s.in_w = s.out_w = 1;
        b = s.out_h;
    } else if (start >= 0) {
        s.in_h -= start;
        s.pad_top = 0;
        s.out_h = r1 - r0;
    } else {
        /* the first rows, with the padding above: the windows start at row 0 */
        SC_ASSERT(r0 == 0 && (in_lo == 0 || in_ring > 0) && out_lo == 0);
        start = 0;
        b = r1;
    }
    const uint8_t *src = in + (size_t)(start - in_lo) * in_row;
    if (in_ring > 0) {
        SC_ASSERT(l->packing == SC_PACK_DW3X3);
        s.ring_rows = in_ring;
        s.ring_first = start % in_ring;
        src = in;
    }
    uint8_t *dst = out + (size_t)(r0 - out_lo) * out_row;
    if (l->packing == SC_PACK_GEMM) {
        if (f32) k->f32_gemmconv(&s, l->act_min, l->act_max, (const float *)(const void *)src, l->packed,
                                 (float *)(void *)dst, 0, b, 0, ls->out_c);
        else k->u8_gemmconv(&s, &l->q, src, l->packed, dst, 0, b, 0, ls->out_c);
    } else {
        if (f32) k->f32_dwconv3x3(&s, l->act_min, l->act_max, (const float *)(const void *)src, l->packed,
                                  (float *)(void *)dst, 0, b);
        else k->u8_dwconv3x3(&s, &l->q, src, l->packed, dst, 0, b);
    }
}

typedef struct chain_task {
    sc_net *net;
    const sc_kernels *k;
    chain_plan c;
} chain_task;

static void chain_rows(void *ctx, size_t index)
{
    const chain_task *t = ctx;
    sc_net *n = t->net;
    const chain_plan *c = &t->c;
    const sc_nn_layer *L = &n->layers[c->head];
    const int last = c->len - 1, h = L[last].shape.out_h;
    const int y0 = (int)index * c->rows, y1 = SC_MIN(y0 + c->rows, h);
    /* window j: rows [lo[j], hi[j]) of layer j's output at win[j], room for cap[j] rows */
    uint8_t *win[CHAIN_MAX];
    int lo[CHAIN_MAX], hi[CHAIN_MAX], cap[CHAIN_MAX], need_lo[CHAIN_MAX], need_hi[CHAIN_MAX];
    int new_lo[CHAIN_MAX], new_hi[CHAIN_MAX];
    const int *ring = c->ring;   /* rows of window j's ring, 0: not a ring */
    for (int j = 0; j < last; j++) {
        int hj = L[j].shape.out_h, share = c->tasks > 1 ? hj / c->tasks : hj;
        win[j] = (uint8_t *)sc_net_data(n, L[j].out) + (size_t)index * (size_t)share * row_bytes_out(n, &L[j]);
        cap[j] = c->cap[j];
        lo[j] = hi[j] = 0;
    }
    const uint8_t *in = sc_net_data(n, L[0].in[0]);
    uint8_t *out = sc_net_data(n, L[last].out);
    for (int y = y0; y < y1; y += c->band) {
        /* backwards: the rows each layer must add for the band, and the rows of its window
         * the next layer reads */
        new_lo[last] = y;
        new_hi[last] = SC_MIN(y + c->band, y1);
        for (int j = last - 1; j >= 0; j--) {
            const sc_conv_shape *s = &L[j + 1].shape;
            int hj = L[j].shape.out_h;
            if (new_hi[j + 1] <= new_lo[j + 1]) {
                need_lo[j] = need_hi[j] = new_lo[j] = new_hi[j] = hi[j];
                continue;
            }
            need_lo[j] = SC_MAX(new_lo[j + 1] * s->stride_h - s->pad_top, 0);
            need_hi[j] = SC_MIN((new_hi[j + 1] - 1) * s->stride_h - s->pad_top + s->k_h, hj);
            new_lo[j] = SC_MAX(need_lo[j], hi[j]);
            new_hi[j] = need_hi[j];
        }
        /* forwards: make room, then compute the new rows from the window before */
        for (int j = 0; j < last; j++) {
            if (new_hi[j] <= new_lo[j]) continue;
            size_t rb = row_bytes_out(n, &L[j]);
            if (hi[j] <= need_lo[j]) {
                lo[j] = hi[j] = need_lo[j];
            } else if (ring[j]) {
                lo[j] = need_lo[j];   /* the rows below it are overwritten as the ring turns */
            } else if (need_hi[j] - lo[j] > cap[j]) {
                memmove(win[j], win[j] + (size_t)(need_lo[j] - lo[j]) * rb, (size_t)(hi[j] - need_lo[j]) * rb);
                lo[j] = need_lo[j];
            }
            SC_ASSERT(need_hi[j] - lo[j] <= cap[j]);
            chain_layer_rows(n, t->k, &L[j], j ? win[j - 1] : in, j ? lo[j - 1] : 0, j ? ring[j - 1] : 0, win[j], lo[j],
                             ring[j], new_lo[j], new_hi[j]);
            hi[j] = new_hi[j];
        }
        chain_layer_rows(n, t->k, &L[last], last ? win[last - 1] : in, last ? lo[last - 1] : 0,
                         last ? ring[last - 1] : 0, out, 0, 0, new_lo[last], new_hi[last]);
    }
}

static void run_chain(sc_net *n, const chain_plan *c, const sc_kernels *k, sc_pool *pool)
{
    chain_task t = { n, k, *c };
    int h = n->layers[c->head + c->len - 1].shape.out_h;
    sc_pool_parallel(pool, chain_rows, &t, (size_t)((h + c->rows - 1) / c->rows));
}

static inline uint8_t clamp_u8(int32_t v, int32_t lo, int32_t hi)
{
    return (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* Element-wise layers: a task is a run of `per` elements. */
typedef struct elem_task {
    sc_net *net;
    const sc_nn_layer *l;
    size_t count, per;
    uint8_t lut[SC_NN_MAX_IN][256];   /* concat: input byte → output byte, when rescaled */
    int same[SC_NN_MAX_IN];           /* concat: input quantised like the output (or f32) */
    const sc_nn_layer *post;          /* concat: a logistic applied on the way (fused), or NULL */
    const sc_kernels *k;              /* logistic and concat: f32_exp and u8_lut */
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
                    logistic_f32((const float *)(const void *)in, (float *)(void *)dst, s1 - s0, t->k->f32_exp);
                } else if (t->same[k] && !post) {
                    memcpy(dst, in, (s1 - s0) * esz);
                } else {
                    t->k->u8_lut(s1 - s0, in, t->lut[k], dst);
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
    elem_task t = { .net = n, .l = l, .count = sc_nn_tensor_elems(o), .post = post, .k = kern };
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
        logistic_f32(x + e0, y + e0, e1 - e0, t->k->f32_exp);
        return;
    }
    const uint8_t *x = n->arena + n->tensors[l->in[0]].offset;
    uint8_t *y = n->arena + n->tensors[l->out].offset;
    t->k->u8_lut(e1 - e0, x + e0, l->lut, y + e0);
}

static void run_logistic(sc_net *n, const sc_nn_layer *l, const sc_kernels *k, sc_pool *pool)
{
    elem_task t = { .net = n, .l = l, .count = sc_nn_tensor_elems(&n->tensors[l->out]), .k = k };
    run_elemwise(pool, logistic_span, &t);
}

void sc_net_set_fusion(sc_net *n, sc_fuse_mode mode)
{
    n->fusion = mode == SC_FUSE_OFF || mode == SC_FUSE_ALL ? mode : SC_FUSE_AUTO;
}
sc_fuse_mode sc_net_fusion(const sc_net *n) { return (sc_fuse_mode)n->fusion; }

int sc_net_fused(const sc_net *n, const sc_kernels *k, const sc_pool *pool, int i)
{
    chain_plan c;
    if (!chain_of(n, k, sc_pool_threads(pool), i, &c)) return 0;
    return i == c.head ? c.len : -1;
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

/* Runs layer i, or the fused pass it heads, and returns how many layers that covered (a later
 * layer of a chain: nothing run, 1). */
static int run_from(sc_net *n, const sc_kernels *k, sc_pool *pool, int i)
{
    chain_plan c;
    if (chain_of(n, k, sc_pool_threads(pool), i, &c)) {
        if (i != c.head) return 1;   /* ran with its chain's head */
        run_chain(n, &c, k, pool);
        return c.len;
    }
    const sc_nn_layer *post = fused_logistic(n, i, 1);
    if (post) {
        run_concat(n, &n->layers[i], post, k, pool);
        return 2;
    }
    sc_net_run_layer(n, k, pool, i);
    return 1;
}

void sc_net_run_step(sc_net *n, const sc_kernels *k, sc_pool *pool, int i)
{
    if (i > 0 && fused_logistic(n, i - 1, 1)) return;   /* ran with i - 1 */
    run_from(n, k, pool, i);
}

/* From head to head: a chain's plan is worked out once per inference, not once per layer. */
void sc_net_run(sc_net *n, const sc_kernels *k, sc_pool *pool)
{
    for (int i = 0; i < n->n_layers;) i += run_from(n, k, pool, i);
}
