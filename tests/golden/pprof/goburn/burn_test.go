package burn

import "testing"

func TestBurn(t *testing.T) {
	var sink uint64
	for r := 0; r < 3; r++ {
		sink += Hash(40_000_000)
		sink += uint64(Fib(34))
		a := make([]int, 12000)
		for i := range a {
			a[i] = len(a) - i
		}
		Sort(a)
	}
	if sink == 0 {
		t.Fatal("unexpected")
	}
}
