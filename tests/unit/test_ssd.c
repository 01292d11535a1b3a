/* tests/unit/test_ssd.c — anchors, box decoding and NMS (models/ssd.c) on hand-made data. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "models/ssd.h"
#include "tests/harness.h"

static sc_ssd_pp_cfg pp_cfg(int num_classes, int max_det, float score_thr, float iou_thr)
{
    sc_ssd_pp_cfg c = { num_classes, max_det, score_thr, iou_thr, 10.0f, 10.0f, 5.0f, 5.0f };
    return c;
}

/* ---- decode ------------------------------------------------------------------------ */

static void test_decode(void)
{
    /* One anchor, two classes plus background; the background column is the largest and
     * must be skipped through class_offset = 1. */
    sc_ssd_pp_cfg cfg = pp_cfg(2, 10, 0.5f, 0.6f);
    sc_ssd_pp *pp = NULL;
    CHECK(sc_ssd_pp_create(&cfg, 4, &pp) == SC_OK);
    if (!pp) return;

    const sc_anchor a[2] = { { 0.5f, 0.5f, 0.2f, 0.4f }, { 0.25f, 0.75f, 0.5f, 0.25f } };
    /* Anchor 0: ty = 1, tx = -2, th = 0, tw = 5·ln 2:
     *   yc = 1/10·0.2 + 0.5 = 0.52, xc = -2/10·0.4 + 0.5 = 0.42,
     *   h = e^0·0.2 = 0.2, w = e^(ln 2)·0.4 = 0.8
     *   → ymin 0.42, xmin 0.02, ymax 0.62, xmax 0.82.
     * Anchor 1: ty = -5, tx = 2.5, th = 5·ln 0.5, tw = 5·ln 4:
     *   yc = -0.5·0.5 + 0.25 = 0, xc = 0.25·0.25 + 0.75 = 0.8125,
     *   h = 0.5·0.5 = 0.25, w = 4·0.25 = 1
     *   → ymin -0.125, xmin 0.3125, ymax 0.125, xmax 1.3125. */
    const float enc[8] = { 1.0f, -2.0f, 0.0f, (float)(5.0 * log(2.0)),
                           -5.0f, 2.5f, (float)(5.0 * log(0.5)), (float)(5.0 * log(4.0)) };
    const float scores[2][3] = { { 0.99f, 0.25f, 0.875f }, { 0.95f, 0.75f, 0.125f } };
    sc_det d[4];
    memset(d, 0, sizeof(d));
    const int n = sc_ssd_pp_run(pp, enc, &scores[0][0], 3, 1, a, 2, d, 4);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(d[0].class_id, 1);
        CHECK_NEAR(d[0].score, 0.875, 0);
        CHECK_NEAR(d[0].ymin, 0.42, 1e-6);
        CHECK_NEAR(d[0].xmin, 0.02, 1e-6);
        CHECK_NEAR(d[0].ymax, 0.62, 1e-6);
        CHECK_NEAR(d[0].xmax, 0.82, 1e-6);
        CHECK_EQ_INT(d[1].class_id, 0);
        CHECK_NEAR(d[1].score, 0.75, 0);
        CHECK_NEAR(d[1].ymin, -0.125, 1e-6);
        CHECK_NEAR(d[1].xmin, 0.3125, 1e-6);
        CHECK_NEAR(d[1].ymax, 0.125, 1e-6);
        CHECK_NEAR(d[1].xmax, 1.3125, 1e-6);
    }
    /* Without the offset the background column counts as class 0 and wins. */
    const int n2 = sc_ssd_pp_run(pp, enc, &scores[0][0], 3, 0, a, 2, d, 4);
    CHECK_EQ_INT(n2, 2);
    if (n2 == 2) {
        CHECK_EQ_INT(d[0].class_id, 0);
        CHECK_NEAR(d[0].score, 0.99, 1e-7);
    }
    sc_ssd_pp_destroy(pp);

    /* Four different scales, so that swapping any two shows: y 8, x 4, h 2, w 1.
     * ty = 0.8, tx = -0.4, th = 2·ln 2, tw = ln 0.5 on anchor (0.5, 0.5, 0.2, 0.4):
     * yc = 0.1·0.2 + 0.5 = 0.52, xc = -0.1·0.4 + 0.5 = 0.46, h = 2·0.2 = 0.4, w = 0.5·0.4 = 0.2
     * → ymin 0.32, xmin 0.36, ymax 0.72, xmax 0.56. */
    sc_ssd_pp_cfg c2 = { 1, 1, 0.0f, 0.5f, 8.0f, 4.0f, 2.0f, 1.0f };
    CHECK(sc_ssd_pp_create(&c2, 1, &pp) == SC_OK);
    if (!pp) return;
    const float enc2[4] = { 0.8f, -0.4f, (float)(2.0 * log(2.0)), (float)log(0.5) };
    const float s2 = 0.5f;
    const int n3 = sc_ssd_pp_run(pp, enc2, &s2, 1, 0, a, 1, d, 1);
    CHECK_EQ_INT(n3, 1);
    if (n3 == 1) {
        CHECK_NEAR(d[0].ymin, 0.32, 1e-6);
        CHECK_NEAR(d[0].xmin, 0.36, 1e-6);
        CHECK_NEAR(d[0].ymax, 0.72, 1e-6);
        CHECK_NEAR(d[0].xmax, 0.56, 1e-6);
    }
    sc_ssd_pp_destroy(pp);
}

/* ---- IoU ----------------------------------------------------------------------------- */

static sc_det box(float ymin, float xmin, float ymax, float xmax)
{
    sc_det d = { 0, 0.0f, ymin, xmin, ymax, xmax };
    return d;
}

static void test_iou(void)
{
    sc_det a = box(0, 0, 1, 1), b = box(0, 0.5f, 1, 1.5f), c = box(2, 2, 3, 3);
    sc_det flat = box(0.5f, 0, 0.5f, 1), inv = box(1, 1, 0, 0), q = box(0.25f, 0.25f, 0.75f, 0.75f);
    CHECK_NEAR(sc_ssd_iou(&a, &b), 1.0 / 3.0, 1e-7);   /* 0.5 / (1 + 1 - 0.5) */
    CHECK_NEAR(sc_ssd_iou(&b, &a), 1.0 / 3.0, 1e-7);
    CHECK_NEAR(sc_ssd_iou(&a, &a), 1.0, 0);
    CHECK_NEAR(sc_ssd_iou(&a, &c), 0.0, 0);            /* disjoint */
    CHECK_NEAR(sc_ssd_iou(&a, &q), 0.25, 0);           /* contained: 0.25 / 1 */
    CHECK_NEAR(sc_ssd_iou(&a, &flat), 0.0, 0);         /* zero area */
    CHECK_NEAR(sc_ssd_iou(&flat, &flat), 0.0, 0);
    CHECK_NEAR(sc_ssd_iou(&inv, &inv), 0.0, 0);        /* inverted: area > 0, intersection 0 */
}

/* ---- NMS ----------------------------------------------------------------------------- */

/* With zero encodings the decoded box is the anchor itself: centre ± half size. */
static sc_anchor anchor_box(float ymin, float xmin, float ymax, float xmax)
{
    sc_anchor a = { (ymin + ymax) / 2, (xmin + xmax) / 2, ymax - ymin, xmax - xmin };
    return a;
}

#define NMAX 64

typedef struct nms_case {
    int n;
    sc_anchor anchors[NMAX];
    float enc[NMAX * 4];
    float scores[NMAX];     /* one class, no background */
} nms_case;

static int run_case(const nms_case *c, int max_det, float score_thr, float iou_thr, sc_det *out,
                    int cap)
{
    sc_ssd_pp_cfg cfg = pp_cfg(1, max_det, score_thr, iou_thr);
    sc_ssd_pp *pp = NULL;
    if (sc_ssd_pp_create(&cfg, NMAX, &pp) != SC_OK) return -1;
    const int n = sc_ssd_pp_run(pp, c->enc, c->scores, 1, 0, c->anchors, c->n, out, cap);
    sc_ssd_pp_destroy(pp);
    return n;
}

static void test_nms_threshold_edges(void)
{
    /* Box 0 = [0,0,1,1], box 1 = [0,0,1,0.6]: IoU ≈ 0.6. The threshold moves by one float
     * step around the IoU that sc_ssd_iou computes: suppressed only when IoU > threshold. */
    const sc_det a = box(0, 0, 1, 1), b = box(0, 0, 1, 0.6f);
    const float iou = sc_ssd_iou(&a, &b);
    CHECK_NEAR(iou, 0.6, 1e-7);
    const float thrs[3] = { nextafterf(iou, 0.0f), iou, nextafterf(iou, 1.0f) };
    const int expect[3] = { 1, 2, 2 };
    for (int k = 0; k < 3; k++) {
        nms_case c;
        memset(&c, 0, sizeof(c));
        c.n = 2;
        c.anchors[0] = anchor_box(0, 0, 1, 1);
        c.anchors[1] = anchor_box(0, 0, 1, 0.6f);
        c.scores[0] = 0.9f;
        c.scores[1] = 0.8f;
        sc_det d[4];
        const int n = run_case(&c, 10, 0.0f, thrs[k], d, 4);
        CHECKF(n == expect[k], "threshold %.9g, IoU %.9g: %d detections, expected %d",
               (double)thrs[k], (double)iou, n, expect[k]);
        if (n >= 1) CHECK_NEAR(d[0].score, 0.9, 1e-7);
        if (n == 2) CHECK_NEAR(d[1].xmax, 0.6, 1e-7);
    }
    /* Shifted boxes against box 0 with threshold 0.62: IoU 0.12/0.2 = 0.6 (kept) and
     * 0.124/0.196 = 0.633 (suppressed). */
    nms_case c;
    memset(&c, 0, sizeof(c));
    c.n = 3;
    c.anchors[0] = anchor_box(0.1f, 0.1f, 0.5f, 0.5f);
    c.anchors[1] = anchor_box(0.1f, 0.2f, 0.5f, 0.6f);
    c.anchors[2] = anchor_box(0.1f, 0.19f, 0.5f, 0.59f);
    c.scores[0] = 0.9f;
    c.scores[1] = 0.7f;
    c.scores[2] = 0.8f;
    sc_det d[4];
    const int n = run_case(&c, 10, 0.0f, 0.62f, d, 4);
    CHECK_EQ_INT(n, 2);   /* 2 is suppressed by 0 (0.633 > 0.62); 1 survives 0 (0.6) */
    if (n == 2) {
        CHECK_NEAR(d[0].score, 0.9, 1e-7);
        CHECK_NEAR(d[1].score, 0.7, 1e-7);
    }
}

static void test_nms_suppressed_do_not_suppress(void)
{
    /* A chain: 1 overlaps 0 (suppressed), 2 overlaps 1 but not 0. TFLite keeps 2, since only
     * selected boxes suppress (Arm NN's NMS would drop it). */
    nms_case c;
    memset(&c, 0, sizeof(c));
    c.n = 3;
    c.anchors[0] = anchor_box(0, 0.0f, 1, 1.0f);
    c.anchors[1] = anchor_box(0, 0.25f, 1, 1.25f);   /* IoU with 0: 0.75/1.25 = 0.6 */
    c.anchors[2] = anchor_box(0, 0.5f, 1, 1.5f);     /* with 1: 0.6; with 0: 1/3 */
    c.scores[0] = 0.9f;
    c.scores[1] = 0.8f;
    c.scores[2] = 0.7f;
    sc_det d[4];
    const int n = run_case(&c, 10, 0.0f, 0.5f, d, 4);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_NEAR(d[0].xmin, 0.0, 1e-7);
        CHECK_NEAR(d[1].xmin, 0.5, 1e-7);
    }
}

static void test_nms_ties_and_cuts(void)
{
    /* Six disjoint boxes on a row; scores with ties. Expected order: decreasing score, equal
     * scores by increasing anchor index. */
    nms_case c;
    memset(&c, 0, sizeof(c));
    c.n = 6;
    const float s[6] = { 0.5f, 0.75f, 0.5f, 0.75f, 0.25f, 0.5f };
    for (int i = 0; i < 6; i++) {
        c.anchors[i] = anchor_box(0, (float)i, 1, (float)i + 0.5f);
        c.scores[i] = s[i];
    }
    const int order[6] = { 1, 3, 0, 2, 5, 4 };
    sc_det d[8];
    int n = run_case(&c, 10, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 6);
    for (int k = 0; k < n && k < 6; k++) CHECK_NEAR(d[k].xmin, order[k], 0);

    /* Identical boxes with identical scores: the lowest anchor index survives. */
    nms_case t;
    memset(&t, 0, sizeof(t));
    t.n = 4;
    for (int i = 0; i < 4; i++) t.scores[i] = 0.5f;
    t.anchors[0] = anchor_box(5, 5, 6, 6);      /* disjoint from the rest */
    for (int i = 1; i < 4; i++) t.anchors[i] = anchor_box(0, 0, 1, 1);
    t.enc[2 * 4 + 1] = 0.1f;   /* anchor 2 shifted by 0.01: tells which of 1..3 survived */
    t.enc[3 * 4 + 1] = 0.2f;
    n = run_case(&t, 10, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_NEAR(d[0].ymin, 5, 0);
        CHECK_NEAR(d[1].xmin, 0, 0);   /* anchor 1, not 2 or 3 */
    }

    /* max_detections cut, and cap below max_detections. */
    n = run_case(&c, 3, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 3);
    for (int k = 0; k < n && k < 3; k++) CHECK_NEAR(d[k].xmin, order[k], 0);
    n = run_case(&c, 10, 0.0f, 0.5f, d, 2);
    CHECK_EQ_INT(n, 2);
    n = run_case(&c, 0, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 0);

    /* Threshold cut: >= keeps the scores equal to it. */
    n = run_case(&c, 10, 0.5f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 5);
    n = run_case(&c, 10, nextafterf(0.5f, 1.0f), 0.5f, d, 8);
    CHECK_EQ_INT(n, 2);
    n = run_case(&c, 10, 0.9f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 0);

    /* Empty input. */
    nms_case e;
    memset(&e, 0, sizeof(e));
    n = run_case(&e, 10, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 0);

    /* Degenerate (zero-height) boxes: IoU 0, so identical ones are all kept. */
    nms_case z;
    memset(&z, 0, sizeof(z));
    z.n = 3;
    for (int i = 0; i < 3; i++) {
        z.anchors[i] = anchor_box(0.5f, 0, 0.5f, 1);
        z.scores[i] = 0.5f;
    }
    n = run_case(&z, 10, 0.0f, 0.5f, d, 8);
    CHECK_EQ_INT(n, 3);
}

static void test_class_tie(void)
{
    /* Classes 1 and 3 tie for the best score: the lower class id wins (TFLite's ArgMaxVector
     * keeps the first maximum). */
    sc_ssd_pp_cfg cfg = pp_cfg(4, 10, 0.1f, 0.5f);
    sc_ssd_pp *pp = NULL;
    CHECK(sc_ssd_pp_create(&cfg, 1, &pp) == SC_OK);
    if (!pp) return;
    const sc_anchor a = { 0.5f, 0.5f, 0.5f, 0.5f };
    const float enc[4] = { 0 };
    const float sc[6] = { 0.9f, 0.25f, 0.5f, 0.25f, 0.5f, 0.99f };   /* bg, c0..c3, padding */
    sc_det d;
    const int n = sc_ssd_pp_run(pp, enc, sc, 6, 1, &a, 1, &d, 1);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_INT(d.class_id, 1);
        CHECK_NEAR(d.score, 0.5, 0);
    }
    sc_ssd_pp_destroy(pp);
}

/* An independent, plain transcription of TFLite's fast path, to compare against on random
 * inputs with many ties: decode every box, best class by first maximum, candidates in
 * anchor order, stable insertion sort by decreasing score, then the active-flag loop. */
static int ref_pp(const sc_ssd_pp_cfg *cfg, const float *enc, const float *scores, int stride,
                  int off, const sc_anchor *an, int n, sc_det *out)
{
    static sc_det boxes[NMAX];
    static float best[NMAX];
    static int cls[NMAX], keep[NMAX], active[NMAX];
    for (int i = 0; i < n; i++) {
        const float *e = enc + 4 * i;
        const float yc = (float)((double)e[0] / cfg->y_scale * an[i].h + an[i].yc);
        const float xc = (float)((double)e[1] / cfg->x_scale * an[i].w + an[i].xc);
        const float hh = (float)(0.5 * exp((double)e[2] / cfg->h_scale) * an[i].h);
        const float hw = (float)(0.5 * exp((double)e[3] / cfg->w_scale) * an[i].w);
        boxes[i] = box(yc - hh, xc - hw, yc + hh, xc + hw);
        const float *row = scores + i * stride + off;
        cls[i] = 0;
        for (int c = 1; c < cfg->num_classes; c++)
            if (row[c] > row[cls[i]]) cls[i] = c;
        best[i] = row[cls[i]];
    }
    int nk = 0;
    for (int i = 0; i < n; i++)
        if (best[i] >= cfg->score_threshold) keep[nk++] = i;
    for (int i = 1; i < nk; i++) {   /* stable insertion sort, decreasing */
        const int v = keep[i];
        int j = i;
        while (j > 0 && best[keep[j - 1]] < best[v]) {
            keep[j] = keep[j - 1];
            j--;
        }
        keep[j] = v;
    }
    for (int i = 0; i < nk; i++) active[i] = 1;
    int ns = 0;
    for (int i = 0; i < nk && ns < cfg->max_detections; i++) {
        if (!active[i]) continue;
        out[ns] = boxes[keep[i]];
        out[ns].class_id = cls[keep[i]];
        out[ns].score = best[keep[i]];
        ns++;
        for (int j = i + 1; j < nk; j++)
            if (active[j] && sc_ssd_iou(&boxes[keep[i]], &boxes[keep[j]]) > cfg->iou_threshold)
                active[j] = 0;
    }
    return ns;
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static float rng_unit(uint32_t *s) { return (float)(rng_next(s) >> 8) / 16777216.0f; }

static void test_random_against_reference(void)
{
    enum { NC = 5, STRIDE = NC + 1 };
    sc_ssd_pp_cfg cfg = pp_cfg(NC, 8, 0.25f, 0.45f);
    sc_ssd_pp *pp = NULL;
    CHECK(sc_ssd_pp_create(&cfg, NMAX, &pp) == SC_OK);
    if (!pp) return;
    uint32_t seed = 12345;
    int mismatches = 0, total = 0, tied_rounds = 0;
    static sc_anchor an[NMAX];
    static float enc[NMAX * 4], sc[NMAX * STRIDE];
    for (int round = 0; round < 300; round++) {
        const int n = 1 + (int)(rng_next(&seed) % NMAX);
        for (int i = 0; i < n; i++) {
            /* Coarse grid of centres and sizes so that overlaps and ties are frequent. */
            an[i].yc = (float)(rng_next(&seed) % 8) / 8.0f;
            an[i].xc = (float)(rng_next(&seed) % 8) / 8.0f;
            an[i].h = (float)(1 + rng_next(&seed) % 4) / 8.0f;
            an[i].w = (float)(1 + rng_next(&seed) % 4) / 8.0f;
            for (int k = 0; k < 4; k++) enc[4 * i + k] = (rng_unit(&seed) - 0.5f) * 2.0f;
            for (int c = 0; c < STRIDE; c++)
                sc[i * STRIDE + c] = (float)(rng_next(&seed) % 9) / 8.0f;   /* 9 levels: ties */
        }
        sc_det got[8], want[8];
        const int ng = sc_ssd_pp_run(pp, enc, sc, STRIDE, 1, an, n, got, 8);
        const int nw = ref_pp(&cfg, enc, sc, STRIDE, 1, an, n, want);
        total++;
        int same = ng == nw;
        for (int k = 0; same && k < nw; k++)
            same = memcmp(&got[k], &want[k], sizeof(sc_det)) == 0;
        for (int k = 1; k < nw; k++) tied_rounds += want[k].score == want[k - 1].score;
        if (!same) {
            if (mismatches < 3) fprintf(stderr, "round %d: %d vs %d detections\n", round, ng, nw);
            mismatches++;
        }
    }
    CHECKF(mismatches == 0, "%d of %d random rounds differ from the reference", mismatches, total);
    CHECKF(tied_rounds > 100, "only %d tied neighbours: the test does not exercise ties",
           tied_rounds);
    sc_ssd_pp_destroy(pp);
}

static void test_pp_create_errors(void)
{
    sc_ssd_pp *pp = (sc_ssd_pp *)&pp;
    sc_ssd_pp_cfg cfg = pp_cfg(90, 10, 1e-8f, 0.0f);
    CHECK(sc_ssd_pp_create(&cfg, 1917, &pp) == SC_E_INVAL);   /* IoU must be in (0, 1] */
    CHECK(pp == NULL);
    cfg = pp_cfg(90, 10, 1e-8f, 1.5f);
    CHECK(sc_ssd_pp_create(&cfg, 1917, &pp) == SC_E_INVAL);
    cfg = pp_cfg(0, 10, 1e-8f, 0.6f);
    CHECK(sc_ssd_pp_create(&cfg, 1917, &pp) == SC_E_INVAL);
    cfg = pp_cfg(90, 10, 1e-8f, 0.6f);
    CHECK(sc_ssd_pp_create(&cfg, 0, &pp) == SC_E_INVAL);
    cfg.h_scale = 0.0f;
    CHECK(sc_ssd_pp_create(&cfg, 1917, &pp) == SC_E_INVAL);
    sc_ssd_pp_destroy(NULL);
}

/* ---- anchors ------------------------------------------------------------------------- */

static void test_feature_maps_and_counts(void)
{
    /* By hand: SAME padding, stride 2 per stage, out = ceil(in/2); maps start at stride 16.
     * 300→150→75→38→19 | 10 5 3 2 1;  256→128→64→32→16 | 8 4 2 1 1;
     * 224→112→56→28→14 | 7 4 2 1 1;   192→96→48→24→12 | 6 3 2 1 1;  160→80→40→20→10 | 5 3 2 1 1.
     * Anchors: 3 per cell on the first map, 6 on the others. */
    static const struct { int in; int fm[6]; int count; } cases[] = {
        { 300, { 19, 10, 5, 3, 2, 1 }, 19 * 19 * 3 + (100 + 25 + 9 + 4 + 1) * 6 },   /* 1917 */
        { 256, { 16, 8, 4, 2, 1, 1 }, 16 * 16 * 3 + (64 + 16 + 4 + 1 + 1) * 6 },     /* 1284 */
        { 224, { 14, 7, 4, 2, 1, 1 }, 14 * 14 * 3 + (49 + 16 + 4 + 1 + 1) * 6 },     /* 1014 */
        { 192, { 12, 6, 3, 2, 1, 1 }, 12 * 12 * 3 + (36 + 9 + 4 + 1 + 1) * 6 },      /* 738 */
        { 160, { 10, 5, 3, 2, 1, 1 }, 10 * 10 * 3 + (25 + 9 + 4 + 1 + 1) * 6 },      /* 540 */
    };
    CHECK_EQ_INT(cases[0].count, 1917);
    sc_ssd_anchor_cfg cfg;
    sc_ssd_anchor_cfg_default(&cfg);
    CHECK_EQ_INT(sc_ssd_anchors_per_cell(&cfg, 0), 3);
    CHECK_EQ_INT(sc_ssd_anchors_per_cell(&cfg, 1), 6);
    CHECK_EQ_INT(sc_ssd_anchors_per_cell(&cfg, 5), 6);
    CHECK_EQ_INT(sc_ssd_anchors_per_cell(&cfg, 6), 0);
    static sc_anchor buf[2000];
    for (size_t k = 0; k < SC_ARRAY_LEN(cases); k++) {
        int fh[6] = { 0 }, fw[6] = { 0 };
        CHECK(sc_ssd_feature_map_sizes(cases[k].in, cases[k].in, 6, fh, fw) == SC_OK);
        for (int m = 0; m < 6; m++) {
            CHECKF(fh[m] == cases[k].fm[m] && fw[m] == cases[k].fm[m],
                   "input %d map %d: %dx%d, expected %d", cases[k].in, m, fh[m], fw[m],
                   cases[k].fm[m]);
        }
        int n = -1;
        CHECK(sc_ssd_anchors_generate(&cfg, fh, fw, NULL, 0, &n) == SC_E_RANGE);
        CHECK_EQ_INT(n, cases[k].count);
        CHECK(sc_ssd_anchors_generate(&cfg, fh, fw, buf, cases[k].count - 1, &n) == SC_E_RANGE);
        CHECK(sc_ssd_anchors_generate(&cfg, fh, fw, buf, (int)SC_ARRAY_LEN(buf), &n) == SC_OK);
        CHECK_EQ_INT(n, cases[k].count);
    }
    /* Non-square input: rows and columns separately. */
    int fh[6], fw[6];
    CHECK(sc_ssd_feature_map_sizes(300, 160, 6, fh, fw) == SC_OK);
    CHECK(fh[0] == 19 && fw[0] == 10 && fh[1] == 10 && fw[1] == 5 && fh[5] == 1 && fw[5] == 1);
    CHECK(sc_ssd_feature_map_sizes(0, 300, 6, fh, fw) == SC_E_INVAL);
    CHECK(sc_ssd_feature_map_sizes(300, 300, 1, fh, fw) == SC_E_INVAL);
    CHECK(sc_ssd_feature_map_sizes(300, 300, SC_SSD_MAX_MAPS + 1, fh, fw) == SC_E_INVAL);
    int bad[6] = { 19, 10, 0, 3, 2, 1 }, n;
    CHECK(sc_ssd_anchors_generate(&cfg, bad, bad, buf, 2000, &n) == SC_E_INVAL);
    sc_ssd_anchor_cfg one = cfg;
    one.n_maps = 1;
    CHECK(sc_ssd_anchors_generate(&one, fh, fw, buf, 2000, &n) == SC_E_INVAL);
}

static void test_anchor_values(void)
{
    sc_ssd_anchor_cfg cfg;
    sc_ssd_anchor_cfg_default(&cfg);
    int fh[6], fw[6], n = 0;
    static sc_anchor a[1917];
    CHECK(sc_ssd_feature_map_sizes(300, 300, 6, fh, fw) == SC_OK);
    CHECK(sc_ssd_anchors_generate(&cfg, fh, fw, a, 1917, &n) == SC_OK);
    CHECK_EQ_INT(n, 1917);
    if (n != 1917) return;

    /* Map 0 (19×19, 3 kinds): cell (0,0) kinds (0.1, 1), (0.2, 2), (0.2, 0.5). */
    const double r2 = sqrt(2.0);
    CHECK_NEAR(a[0].yc, 1.0 / 38, 1e-7);
    CHECK_NEAR(a[0].xc, 1.0 / 38, 1e-7);
    CHECK_NEAR(a[0].h, 0.1, 1e-7);
    CHECK_NEAR(a[0].w, 0.1, 1e-7);
    CHECK_NEAR(a[1].h, 0.2 / r2, 1e-7);
    CHECK_NEAR(a[1].w, 0.2 * r2, 1e-7);
    CHECK_NEAR(a[2].h, 0.2 * r2, 1e-7);
    CHECK_NEAR(a[2].w, 0.2 / r2, 1e-7);
    /* Anchor 3 is the next column of row 0; anchor 57 = 19·3 the first of row 1. */
    CHECK_NEAR(a[3].yc, 1.0 / 38, 1e-7);
    CHECK_NEAR(a[3].xc, 3.0 / 38, 1e-7);
    CHECK_NEAR(a[57].yc, 3.0 / 38, 1e-7);
    CHECK_NEAR(a[57].xc, 1.0 / 38, 1e-7);
    /* Map 1 (10×10, 6 kinds) starts at 1083: scale s1 = 0.2 + 0.75/5 = 0.35, ratios 1, 2,
     * 0.5, 3, 0.3333, then sqrt(0.35·0.5). */
    const sc_anchor *m1 = a + 1083;
    CHECK_NEAR(m1[0].yc, 0.05, 1e-7);
    CHECK_NEAR(m1[0].h, 0.35, 1e-7);
    CHECK_NEAR(m1[1].h, 0.35 / r2, 1e-7);
    CHECK_NEAR(m1[1].w, 0.35 * r2, 1e-7);
    CHECK_NEAR(m1[3].h, 0.35 / sqrt(3.0), 1e-7);
    CHECK_NEAR(m1[3].w, 0.35 * sqrt(3.0), 1e-7);
    CHECK_NEAR(m1[4].h, 0.35 / sqrt(0.3333), 1e-7);
    CHECK_NEAR(m1[5].h, sqrt(0.35 * 0.5), 1e-7);
    CHECK_NEAR(m1[5].w, sqrt(0.35 * 0.5), 1e-7);
    /* The last anchor: 1×1 map, centre (0.5, 0.5), interpolated with s_6 = 1: sqrt(0.95). */
    CHECK_NEAR(a[1916].yc, 0.5, 0);
    CHECK_NEAR(a[1916].xc, 0.5, 0);
    CHECK_NEAR(a[1916].h, sqrt(0.95), 1e-7);
    CHECK_NEAR(a[1914].w, 0.95 * sqrt(3.0), 1e-6);   /* ratio 3: wider than the image */

    /* Properties over all maps: centres strictly inside (0,1) on the cell grid, sizes from
     * the scale formula, h·w = s² and w/h = r for every kind. */
    static const int fm[6] = { 19, 10, 5, 3, 2, 1 };
    int idx = 0, bad_centre = 0, bad_size = 0;
    for (int m = 0; m < 6; m++) {
        const double s = 0.2 + 0.75 * m / 5.0, s_next = m < 5 ? 0.2 + 0.75 * (m + 1) / 5.0 : 1.0;
        const int nk = sc_ssd_anchors_per_cell(&cfg, m);
        for (int y = 0; y < fm[m]; y++) {
            for (int x = 0; x < fm[m]; x++) {
                for (int k = 0; k < nk; k++, idx++) {
                    const sc_anchor *p = &a[idx];
                    if (!(p->yc > 0 && p->yc < 1 && p->xc > 0 && p->xc < 1) ||
                        fabs(p->yc - (y + 0.5) / fm[m]) > 1e-7 ||
                        fabs(p->xc - (x + 0.5) / fm[m]) > 1e-7)
                        bad_centre++;
                    double ks, kr;
                    if (m == 0) {
                        ks = k == 0 ? 0.1 : s;
                        kr = k == 0 ? 1.0 : k == 1 ? 2.0 : 0.5;
                    } else if (k < 5) {
                        ks = s;
                        kr = cfg.ratios[k];
                    } else {
                        ks = sqrt(s * s_next);
                        kr = 1.0;
                    }
                    if (fabs(p->h * p->w - ks * ks) > 1e-6 || fabs(p->w / p->h - kr) > 1e-5)
                        bad_size++;
                }
            }
        }
    }
    CHECK_EQ_INT(idx, 1917);
    CHECK_EQ_INT(bad_centre, 0);
    CHECK_EQ_INT(bad_size, 0);

    /* Without the interpolated anchor and without the reduced lowest layer. */
    sc_ssd_anchor_cfg plain = cfg;
    plain.interpolated_scale_aspect_ratio = 0.0f;
    plain.reduce_boxes_in_lowest_layer = 0;
    CHECK_EQ_INT(sc_ssd_anchors_per_cell(&plain, 0), 5);
    CHECK(sc_ssd_anchors_generate(&plain, fh, fw, NULL, 0, &n) == SC_E_RANGE);
    CHECK_EQ_INT(n, (361 + 100 + 25 + 9 + 4 + 1) * 5);
}

static void test_quantize(void)
{
    /* Step 0.25, zero point 2: v → q = round(v/0.25) + 2 clamped to 0..255 → (q - 2)·0.25. */
    sc_anchor a[3] = { { 0.3f, 0.37f, -0.3f, -1.0f }, { 0.125f, 100.0f, 0.0f, 63.3f },
                       { NAN, 0.624f, 0.626f, -0.125f } };
    sc_ssd_anchors_quantize(a, 3, 0.25f, 2);
    CHECK_NEAR(a[0].yc, 0.25, 0);     /* 1.2 → 1 */
    CHECK_NEAR(a[0].xc, 0.25, 0);     /* 1.48 → 1 */
    CHECK_NEAR(a[0].h, -0.25, 0);     /* -1.2 → -1 */
    CHECK_NEAR(a[0].w, -0.5, 0);      /* -4 + 2 = -2 < 0 → q 0 → -0.5 */
    CHECK_NEAR(a[1].yc, 0.25, 0);     /* 0.5 → 1 (ties away from zero) */
    CHECK_NEAR(a[1].xc, 63.25, 0);    /* 400 + 2 → 255 → 253·0.25 */
    CHECK_NEAR(a[1].h, 0.0, 0);
    CHECK_NEAR(a[1].w, 63.25, 0);     /* 253.2 + 2 → 255 */
    CHECK_NEAR(a[2].yc, 0.0, 0);      /* NaN → the zero point */
    CHECK_NEAR(a[2].xc, 0.5, 0);      /* 2.496 → 2 */
    CHECK_NEAR(a[2].h, 0.75, 0);      /* 2.504 → 3 */
    CHECK_NEAR(a[2].w, -0.25, 0);     /* -0.5 → -1 (away from zero) */
}

int main(void)
{
    test_decode();
    test_iou();
    test_nms_threshold_edges();
    test_nms_suppressed_do_not_suppress();
    test_nms_ties_and_cuts();
    test_class_tie();
    test_random_against_reference();
    test_pp_create_errors();
    test_feature_maps_and_counts();
    test_anchor_values();
    test_quantize();
    return sc_test_finish();
}
