/*
 * varint.h — the one place that packs integers into bytes: LEB128-style varints (7 bits a
 * byte, low first, the high bit set on every byte but the last) and zigzag for signed values
 * (0, -1, 1, -2, ... as 0, 1, 2, 3, ...), so a small difference of either sign takes one byte.
 *
 * Everything is static inline: the history (history.c) and the model's logs (model.c) pack and
 * unpack on their per-event paths. The readers trust their bytes: they only read what a writer
 * here wrote into memory of the process's own.
 */
#ifndef LOCKSTEP_UTIL_VARINT_H
#define LOCKSTEP_UTIL_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX 10 /* bytes in the longest varint (a uint64_t) */

static inline uint64_t varint_zigzag(uint64_t v)
{
        return v << 1 ^ (0 - (v >> 63));
}

static inline uint64_t varint_unzigzag(uint64_t z)
{
        return z >> 1 ^ (0 - (z & 1));
}

/* The signed value of U's bits, without relying on an implementation-defined conversion. */
static inline int64_t varint_signed(uint64_t u)
{
        return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* Writes V at P + *OFF (room for VARINT_MAX bytes) and moves *OFF past it. */
static inline void varint_put(unsigned char *p, size_t *off, uint64_t v)
{
        while (v >= 0x80) {
                p[(*off)++] = (unsigned char)(v | 0x80);
                v >>= 7;
        }
        p[(*off)++] = (unsigned char)v;
}

/* Reads the varint at P + *OFF and moves *OFF past it. */
static inline uint64_t varint_get(const unsigned char *p, size_t *off)
{
        uint64_t v = 0;
        unsigned shift = 0;

        if (p[*off] < 0x80)
                return p[(*off)++];

        while (p[*off] & 0x80) {
                v |= (uint64_t)(p[(*off)++] & 0x7f) << shift;
                shift += 7;
        }
        return v | (uint64_t)p[(*off)++] << shift;
}

/* The bytes varint_put writes for V. */
static inline size_t varint_len(uint64_t v)
{
        size_t n = 1;

        while (v >= 0x80) {
                v >>= 7;
                n++;
        }
        return n;
}

#endif
