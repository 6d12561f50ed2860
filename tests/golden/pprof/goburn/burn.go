// Package burn is a small CPU-bound workload whose CPU profile flamekit reads.
package burn

// mix is small enough for the compiler to inline, so the profile has inline frames.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	return x ^ (x >> 29)
}

// Hash hashes n rounds.
func Hash(n int) uint64 {
	var h uint64 = 1
	for i := 0; i < n; i++ {
		h = mix(h + uint64(i))
	}
	return h
}

// Fib is a naive recursive Fibonacci, for deep stacks.
func Fib(n int) int {
	if n < 2 {
		return n
	}
	return Fib(n-1) + Fib(n-2)
}

// Sort sorts a slice with insertion sort.
func Sort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
