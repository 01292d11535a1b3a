/* app/mjpeg.c — JPEG structure walk for Motion-JPEG frames (see mjpeg.h). */
#include "app/mjpeg.h"

#include <string.h>

const char *sc_mjpeg_verdict_str(sc_mjpeg_verdict v)
{
    switch (v) {
    case SC_MJPEG_OK: return "ok";
    case SC_MJPEG_TOO_SMALL: return "too small";
    case SC_MJPEG_NO_SOI: return "no SOI";
    case SC_MJPEG_TRUNCATED: return "truncated";
    case SC_MJPEG_CORRUPT: return "corrupt";
    case SC_MJPEG_SIZE_MISMATCH: return "size mismatch";
    }
    return "unknown";
}

static int is_soi(const uint8_t *p, size_t n, size_t i)
{
    return i + 3 <= n && p[i] == 0xFF && p[i + 1] == 0xD8 && p[i + 2] == 0xFF;
}

/* Skips the entropy-coded data of a scan that starts at p[i]: returns the index of the 0xFF
 * that begins the next real marker (not FF 00 stuffing, not RSTn, not a fill byte), or n when
 * the data ends first. */
static size_t skip_entropy(const uint8_t *p, size_t n, size_t i)
{
    while (i < n) {
        const uint8_t *q = memchr(p + i, 0xFF, n - i);
        if (!q) return n;
        i = (size_t)(q - p);
        if (i + 1 >= n) return n;
        uint8_t b = p[i + 1];
        if (b == 0x00 || (b >= 0xD0 && b <= 0xD7)) { i += 2; continue; }
        if (b == 0xFF) { i += 1; continue; }      /* fill byte before a marker */
        return i;
    }
    return n;
}

/* Walks the image at p[0] (which starts with SOI). *stop: where a truncated image was
 * interrupted by a new SOI (else n). */
static sc_mjpeg_verdict walk(const uint8_t *p, size_t n, sc_mjpeg_info *info, size_t *stop)
{
    size_t i = 2;
    int seen_sof = 0, seen_sos = 0;
    *stop = n;
    while (i < n) {
        if (p[i] != 0xFF) {
            /* Junk between segments: decoders skip it with a warning; so do we. */
            const uint8_t *q = memchr(p + i, 0xFF, n - i);
            if (!q) break;
            i = (size_t)(q - p);
        }
        size_t marker_at = i;
        while (i < n && p[i] == 0xFF) i++;        /* fill bytes */
        if (i >= n) break;
        unsigned m = p[i++];
        if (m == 0xD9) {                          /* EOI */
            if (!seen_sof || !seen_sos) return SC_MJPEG_CORRUPT;
            info->length = i;
            return SC_MJPEG_OK;
        }
        if (m == 0xD8) {                          /* a new image began: this one is cut */
            *stop = marker_at;
            return SC_MJPEG_TRUNCATED;
        }
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;   /* no length */
        if (i + 2 > n) break;
        size_t len = (size_t)p[i] << 8 | p[i + 1];
        if (len < 2) return SC_MJPEG_CORRUPT;
        if (len > n - i) break;
        const uint8_t *seg = p + i + 2;
        size_t seg_len = len - 2;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {   /* SOFn */
            if (seen_sof || seg_len < 6) return SC_MJPEG_CORRUPT;
            info->height = seg[1] << 8 | seg[2];
            info->width = seg[3] << 8 | seg[4];
            info->components = seg[5];
            info->progressive = (m & 3) == 2;
            if (info->width == 0 || info->height == 0 || info->components == 0 ||
                seg_len < 6 + 3 * (size_t)info->components)
                return SC_MJPEG_CORRUPT;
            seen_sof = 1;
        } else if (m == 0xC4) {
            if (!seen_sos) info->has_dht = 1;
        } else if (m == 0xDA) {                   /* SOS: entropy-coded data follows */
            if (!seen_sof || seg_len < 1) return SC_MJPEG_CORRUPT;
            seen_sos = 1;
            i = skip_entropy(p, n, i + len);
            continue;
        }
        i += len;
    }
    return SC_MJPEG_TRUNCATED;
}

sc_mjpeg_verdict sc_mjpeg_check(const uint8_t *data, size_t n, int expect_w, int expect_h,
                                size_t min_bytes, sc_mjpeg_info *info)
{
    sc_mjpeg_info local;
    size_t stop;
    if (!info) info = &local;
    memset(info, 0, sizeof(*info));
    if (!data || n < min_bytes || n < 4) return SC_MJPEG_TOO_SMALL;
    if (!is_soi(data, n, 0)) return SC_MJPEG_NO_SOI;
    sc_mjpeg_verdict v = walk(data, n, info, &stop);
    if (v != SC_MJPEG_OK) return v;
    if (info->length < min_bytes) return SC_MJPEG_TOO_SMALL;
    if ((expect_w > 0 && info->width != expect_w) || (expect_h > 0 && info->height != expect_h))
        return SC_MJPEG_SIZE_MISMATCH;
    return SC_MJPEG_OK;
}

int sc_mjpeg_next(const uint8_t *data, size_t n, size_t *pos, size_t *start,
                  size_t min_bytes, sc_mjpeg_info *info, size_t *skipped_bytes)
{
    sc_mjpeg_info local;
    size_t i = *pos, stop;
    if (!info) info = &local;
    memset(info, 0, sizeof(*info));
    *skipped_bytes = 0;
    while (i < n && !is_soi(data, n, i)) {
        const uint8_t *q = memchr(data + i + 1, 0xFF, n - i - 1);
        i = q ? (size_t)(q - data) : n;
    }
    *skipped_bytes = i - *pos;
    *start = i;
    if (i >= n) { *pos = n; return -1; }
    sc_mjpeg_verdict v = walk(data + i, n - i, info, &stop);
    if (v == SC_MJPEG_OK) {
        *pos = i + info->length;
        if (info->length < min_bytes) v = SC_MJPEG_TOO_SMALL;
    } else if (v == SC_MJPEG_TRUNCATED) {
        *pos = i + stop;
    } else {
        *pos = i + 2;
    }
    return (int)v;
}

size_t sc_mjpeg_strip_dht(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap)
{
    sc_mjpeg_info info;
    if (sc_mjpeg_check(in, n, 0, 0, 4, &info) != SC_MJPEG_OK || out_cap < info.length) return 0;
    /* Copy segment by segment up to the first scan, leaving out DHT; the rest verbatim. */
    size_t i = 2, o = 2;
    memcpy(out, in, 2);
    while (i < info.length) {
        size_t seg_start = i;
        /* Junk between segments is dropped: kept, it could follow SOI directly once a DHT is
         * gone, and the output would no longer start with FF D8 FF (found by fuzz_mjpeg.c). */
        if (in[i] != 0xFF) { i++; continue; }
        while (i < info.length && in[i] == 0xFF) i++;
        unsigned m = in[i++];
        if (m == 0xDA || m == 0xD9) {             /* first scan or end: copy the rest */
            memcpy(out + o, in + seg_start, info.length - seg_start);
            return o + info.length - seg_start;
        }
        size_t len = 0;
        if (!(m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)))
            len = (size_t)in[i] << 8 | in[i + 1];   /* checked by sc_mjpeg_check */
        i += len;
        if (m != 0xC4) {
            memcpy(out + o, in + seg_start, i - seg_start);
            o += i - seg_start;
        }
    }
    return o;
}
