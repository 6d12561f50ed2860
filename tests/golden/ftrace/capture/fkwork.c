/* Workload for the ftrace stack-trace captures: write(2) reached through
 * different call chains (recursion depth 2 and 3, and a second path), so the
 * kernel and user stacks of sys_enter_write differ per call site. */
#include <fcntl.h>
#include <unistd.h>

static int fd;

__attribute__((noinline)) static void emit(const char *s, int n) { (void)!write(fd, s, n); }

__attribute__((noinline)) static void recurse(int depth) {
    if (depth == 0) {
        emit("leaf\n", 5);
        return;
    }
    recurse(depth - 1);
}

__attribute__((noinline)) static void other_path(void) { emit("other\n", 6); }

int main(void) {
    fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < 3; i++) recurse(2);
    for (int i = 0; i < 2; i++) recurse(3);
    other_path();
    return 0;
}
