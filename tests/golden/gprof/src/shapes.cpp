// flamekit gprof fixture (C++): names with spaces, templates, operator(),
// const methods, an anonymous namespace, and a shared hot helper.
// Build: g++ -pg -O1 -fno-inline -fno-optimize-sibling-calls -o shapes shapes.cpp
// Run:   ./shapes 40000
#include <cstdio>
#include <cstdlib>
#include <vector>

static volatile double sink;

namespace geom {
template <typename T, int N>
struct Vec {
    T v[N];
    __attribute__((noinline)) Vec operator+(const Vec &o) const {
        Vec r;
        for (int i = 0; i < N; i++) r.v[i] = v[i] + o.v[i];
        return r;
    }
    __attribute__((noinline)) T dot(const Vec &o) const {
        T s = 0;
        for (int i = 0; i < N; i++) s += v[i] * o.v[i];
        return s;
    }
};
}  // namespace geom

__attribute__((noinline)) double churn(double x) {
    for (int i = 0; i < 300; i++) x = x * 1.0000001 + 0.5;
    sink = x;
    return x;
}

struct Scale {
    double k;
    __attribute__((noinline)) double operator()(double x) const { return churn(x * k); }
};

namespace {
__attribute__((noinline)) double fold(const std::vector<geom::Vec<double, 3>> &vs) {
    geom::Vec<double, 3> acc{};
    double s = 0;
    for (const auto &v : vs) {
        acc = acc + v;
        s += churn(acc.dot(v));
    }
    return s;
}
}  // namespace

int main(int argc, char **argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 40000;
    std::vector<geom::Vec<double, 3>> vs(n);
    for (int i = 0; i < n; i++) vs[i] = geom::Vec<double, 3>{{double(i), 1.0, 2.0}};
    Scale sc{1.5};
    double t = fold(vs);
    for (int i = 0; i < n; i++) t += sc(double(i));
    std::printf("%g\n", t + sink);
    return 0;
}
