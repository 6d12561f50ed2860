/* spin: a deterministic CPU burner with distinctive stacks for tracer captures.
 * main -> outer_a -> inner_x (hot loop) and main -> outer_b -> inner_y -> inner_x,
 * plus a write() loop so kernel stacks appear. Build: gcc -O0 -fno-omit-frame-pointer -g */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static volatile unsigned long sink;

__attribute__((noinline)) void inner_x(unsigned n) {
    for (unsigned i = 0; i < n; i++) sink += i * 2654435761u;
}
__attribute__((noinline)) void inner_y(unsigned n) { inner_x(n); inner_x(n / 2); }
__attribute__((noinline)) void outer_a(void) { inner_x(200000); }
__attribute__((noinline)) void outer_b(void) { inner_y(200000); }
__attribute__((noinline)) void do_io(int fd) {
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 8; i++) if (write(fd, buf, sizeof buf) < 0) exit(1);
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 3.0;
    int fd = open("/dev/null", O_WRONLY);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        outer_a();
        outer_b();
        do_io(fd);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    printf("%lu\n", sink);
    return 0;
}
