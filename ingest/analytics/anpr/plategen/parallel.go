package plategen

import (
	"sync"
	"sync/atomic"
)

// maxWorkers caps generation: the machines are shared.
const maxWorkers = 2

// parallel runs fn for 0..n-1 on at most workers goroutines. Each item owns
// its random source (seeded from its index), so output never depends on the
// worker count or scheduling. The first error stops new items.
func parallel(n, workers int, fn func(i int) error) error {
	workers = max(1, min(workers, maxWorkers, n))
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				mu.Lock()
				stop := first != nil
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
