// A C++ CPU burner whose frame names break naive argument stripping.
//
// Templates whose arguments contain parentheses (std::function<long (int)>),
// lambdas, operator(), an anonymous namespace and an inlined helper, so a
// collapser must cut "(args)" only at the real parameter list:
//   g++ -O1 -g -fno-omit-frame-pointer -o cpptmpl cpptmpl.cpp
// Usage: cpptmpl [SECONDS]  (default 2)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

static volatile long sink;

namespace {
__attribute__((noinline)) long hidden_work(long n) {
    long x = n;
    for (int i = 0; i < 3000; i++) x = x * 2862933555777941757L + 3037000493L;
    return x;
}
}  // namespace

template <typename T, int N>
struct Accumulator {
    __attribute__((noinline)) T operator()(T v) const {
        T acc = v;
        for (int i = 0; i < N; i++) acc += hidden_work(acc + i) & 7;
        return acc;
    }
};

template <typename F>
__attribute__((noinline)) long apply_n(F f, int times) {
    long r = 0;
    for (int i = 0; i < times; i++) r += f(i);
    return r;
}

static inline long inlined_square(long v) { return hidden_work(v * v); }

__attribute__((noinline)) long through_function(const std::function<long(int)>& fn, int n) { return fn(n); }

__attribute__((noinline)) void run(double seconds) {
    auto t0 = std::chrono::steady_clock::now();
    Accumulator<long, 8> acc;
    std::function<long(int)> fn = [&](int k) { return acc(k) + inlined_square(k); };
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
        sink += apply_n([](int k) { return Accumulator<int, 4>()(k); }, 50);
        for (int k = 0; k < 40; k++) sink += through_function(fn, k);
        std::vector<long> v(64);
        for (auto& e : v) e = inlined_square(sink + 1);
        sink += v[3];
    }
}

int main(int argc, char** argv) {
    run(argc > 1 ? std::atof(argv[1]) : 2.0);
    std::printf("%ld\n", (long)sink);
    return 0;
}
