/* flamekit gprof fixture: self recursion (walk), mutual recursion (even/odd,
 * a 2-cycle; expr/term/factor, a 3-cycle) and a hot leaf (mix) called from
 * several parents.  Call counts follow from the code (see test_gprof_real.py).
 * Build: gcc -pg -O1 -fno-inline -fno-optimize-sibling-calls -o calls calls.c
 * Run:   ./calls 1000   (ROUNDS; writes gmon.out)
 */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) unsigned long mix(unsigned long x) {
    for (int i = 0; i < 3000; i++) x = (x ^ (x >> 7)) * 0x9E3779B97F4A7C15UL + i;
    sink += x;
    return x;
}

__attribute__((noinline)) void walk(int depth) {
    mix((unsigned long)depth);
    for (int i = 0; i < 1500; i++) sink += (unsigned long)i * depth;
    if (depth <= 0) return;
    walk(depth - 1);
    walk(depth - 1);
}

int odd(int n);
__attribute__((noinline)) int even(int n) {
    mix((unsigned long)n);
    return n == 0 ? 1 : odd(n - 1);
}
__attribute__((noinline)) int odd(int n) {
    for (int i = 0; i < 3000; i++) sink += (unsigned long)i ^ n;
    return n == 0 ? 0 : even(n - 1);
}

int expr(int n);
__attribute__((noinline)) int factor(int n) {
    mix((unsigned long)n * 3);
    return n <= 0 ? 0 : expr(n - 1) + 1;
}
__attribute__((noinline)) int term(int n) { return factor(n) * 2; }
__attribute__((noinline)) int expr(int n) { return term(n) + 1; }

__attribute__((noinline)) void cold(void) { sink += 1; }

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1000;
    for (int r = 0; r < rounds; r++) {
        walk(6);          /* 127 walk calls per round: 1 from main + 126 recursive */
        even(20);         /* even 11, odd 10 per round */
        expr(9);          /* expr, term, factor 10 each per round */
        mix((unsigned long)r);
    }
    if (rounds < 0) cold();
    printf("%lu\n", sink);
    return 0;
}
