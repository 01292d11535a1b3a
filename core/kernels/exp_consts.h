/* core/kernels/exp_consts.h — constants shared by the SIMD and portable sc_f32_exp variants
 * (private to core/kernels). The method, for every variant:
 *
 *   x is clamped to [SC_EXP_X_MIN, SC_EXP_X_MAX] (NaN passes through the clamp);
 *   k = round(x · log2 e) by adding and subtracting SC_EXP_MAGIC (round to nearest even);
 *   r = x − k·ln2 in two steps (Cody-Waite: ln2 = SC_EXP_LN2_HI + SC_EXP_LN2_LO; the first
 *       product is exact, so only the second step rounds), |r| <= ln2/2 (+ rounding);
 *   p = 1 + r·(c1 + r·(c2 + … + r·c6)), a degree-6 minimax fit of e^r for relative error on
 *       [−ln2/2, ln2/2] (fitted for this file; max relative error 2e-9 with exact
 *       coefficients, 1.7e-8 = 0.14 ulp with these float ones);
 *   y = p · 2^k, scaled exactly in two steps 2^k1 · 2^k2 (k1 = floor(k/2), k2 = k − k1,
 *       both normal exponents for k in [−150, 128]), so overflow gives +inf, and results in
 *       the denormal range or below it are rounded once (to 0 below the smallest denormal).
 *
 * SC_EXP_X_MAX > ln(FLT_MAX) and SC_EXP_X_MIN < ln(smallest denormal / 2): the clamp changes
 * no finite result. */
#ifndef SC_CORE_KERNELS_EXP_CONSTS_H
#define SC_CORE_KERNELS_EXP_CONSTS_H

#define SC_EXP_X_MAX 89.0f
#define SC_EXP_X_MIN (-104.0f)
#define SC_EXP_LOG2E 0x1.715476p+0f
#define SC_EXP_MAGIC 0x1.8p+23f          /* 1.5·2^23: adding it rounds to an integer */
/* ln2 split for the FMA variants: float(ln2) and the rest (n·HI − x is exact with an FMA) */
#define SC_EXP_LN2_HI 0x1.62E430p-1f
#define SC_EXP_LN2_LO (-0x1.05C610p-29f)
/* ln2 split without FMA (portable): HI has 9 significant bits, so n·HI is exact for |n| <= 2^15 */
#define SC_EXP_LN2_HI9 0x1.630000p-1f
#define SC_EXP_LN2_LO9 (-0x1.BD0106p-13f)
#define SC_EXP_C1 0x1.000000p+0f
#define SC_EXP_C2 0x1.FFFFFCp-2f
#define SC_EXP_C3 0x1.55541Ap-3f
#define SC_EXP_C4 0x1.555822p-5f
#define SC_EXP_C5 0x1.126794p-7f
#define SC_EXP_C6 0x1.6AE720p-10f

#endif
