/* A small CPU-bound program for flamekit's differential end-to-end test.
 *
 * main calls three independent stages a fixed number of rounds.  Built with
 * -DHASH_COST=1 it is the BEFORE program; with -DHASH_COST=3 the function
 * hash_records does three times the work (the deliberate regression) and
 * nothing else changes.  record.sh builds both (at -O0, so that even leaf functions keep a frame
 * pointer and every sample unwinds through main) and records them with perf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef HASH_COST
#define HASH_COST 1
#endif

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t parse_input(uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 2000000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

__attribute__((noinline)) static uint64_t hash_records(uint64_t seed) {
    uint64_t h = seed ^ 0xcbf29ce484222325ULL;
    for (int i = 0; i < 2000000 * HASH_COST; i++) {
        h ^= (uint64_t)i;
        h *= 0x100000001b3ULL;
    }
    return h;
}

__attribute__((noinline)) static uint64_t write_output(uint64_t seed) {
    uint64_t y = seed;
    for (int i = 0; i < 2000000; i++)
        y = (y >> 1) ^ (-(y & 1) & 0xd800000000000000ULL);
    return y;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    uint64_t v = 1;
    for (int r = 0; r < rounds; r++) {
        v = parse_input(v);
        v = hash_records(v);
        v = write_output(v);
    }
    sink = v;
    printf("%llu\n", (unsigned long long)v);
    return 0;
}
