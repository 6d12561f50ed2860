/* A CPU burner with deep and recursive stacks, for real perf captures.
 *
 * main -> run -> level_1 .. level_8 (a deep straight chain) -> fib (self
 * recursion) and ping/pong (mutual recursion) -> leaf_work.  Built with
 * frame pointers so `perf record -g` sees every frame:
 *   gcc -O1 -g -fno-omit-frame-pointer -o cdeep cdeep.c
 * Usage: cdeep [SECONDS]  (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void leaf_work(int n) {
    unsigned long x = (unsigned long)n;
    for (int i = 0; i < 2000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink += x;
}

__attribute__((noinline)) static int fib(int n) {
    if (n < 2) { leaf_work(n); return n; }
    return fib(n - 1) + fib(n - 2);
}

static int pong(int n);
__attribute__((noinline)) static int ping(int n) { if (n == 0) { leaf_work(1); return 0; } return pong(n - 1) + 1; }
__attribute__((noinline)) static int pong(int n) { if (n == 0) { leaf_work(2); return 0; } return ping(n - 1) + 1; }

#define LEVEL(k, next) __attribute__((noinline)) static int level_##k(int n) { int r = next(n); sink += r; return r; }
__attribute__((noinline)) static int bottom(int n) { return fib(n % 7 + 8) + ping(n % 16 + 4); }
LEVEL(8, bottom)
LEVEL(7, level_8)
LEVEL(6, level_7)
LEVEL(5, level_6)
LEVEL(4, level_5)
LEVEL(3, level_4)
LEVEL(2, level_3)
LEVEL(1, level_2)

__attribute__((noinline)) static void run(double seconds) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = 0;
    do {
        sink += level_1(n++);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

int main(int argc, char **argv) {
    run(argc > 1 ? atof(argv[1]) : 2.0);
    printf("%lu\n", sink);
    return 0;
}
