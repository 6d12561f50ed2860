/* A small CPU workload for flamekit's flame graph captures: a few hot paths of
   different widths, recursion, and a long tail of light functions. */
#include <stdlib.h>
#include <string.h>

volatile unsigned long sink;

__attribute__((noinline)) static unsigned long spin(unsigned long n) {
	unsigned long x = 0;
	for (unsigned long i = 0; i < n; i++) x += i * 2654435761u;
	return x;
}
__attribute__((noinline)) static void parse_record(int n) { sink += spin(2000 * n); }
__attribute__((noinline)) static void hash_record(int n) { sink += spin(5000 * n); }
__attribute__((noinline)) static void compress_block(int n) { sink += spin(3000 * n); }
__attribute__((noinline)) static void tail_work(int k) { sink += spin(40 + 7 * k); }
__attribute__((noinline)) static void walk_tree(int depth) {
	if (depth > 0) { walk_tree(depth - 1); sink += spin(300); }
	else sink += spin(3000);
}
__attribute__((noinline)) static void handle_request(int i) {
	parse_record(1 + i % 3);
	hash_record(2);
	if (i % 4 == 0) walk_tree(12);
	for (int k = 0; k < 40; k++) tail_work(k);
}
__attribute__((noinline)) static void flush_output(void) { compress_block(4); }

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 3000;
	for (int i = 0; i < rounds; i++) {
		handle_request(i);
		if (i % 10 == 0) flush_output();
	}
	return 0;
}
