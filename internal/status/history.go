package status

import (
	"sync"
	"time"
)

// historyWindows is how many windows of usage the chart shows: enough to see a burst come
// and go, few enough that the chart stays readable on a laptop.
const historyWindows = 5

// maxSamples bounds each budget's history whatever the window and sample interval.
const maxSamples = 600

// history keeps, per budget, the points in use sampled every interval over the last
// historyWindows windows. It is this replica's view of the shared number.
type history struct {
	mu      sync.Mutex
	samples map[string][]Sample
}

func (h *history) add(name string, window time.Duration, s Sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.samples == nil {
		h.samples = map[string][]Sample{}
	}
	list := append(h.samples[name], s)
	cut := s.At.Add(-historyWindows * window)
	i := 0
	for i < len(list) && (list[i].At.Before(cut) || len(list)-i > maxSamples) {
		i++
	}
	h.samples[name] = list[i:]
}

// keep forgets budgets no longer configured.
func (h *history) keep(names map[string]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for n := range h.samples {
		if !names[n] {
			delete(h.samples, n)
		}
	}
}

// due reports whether name's last sample is at least every old (or there is none).
func (h *history) due(name string, now time.Time, every time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.samples[name]
	// A tick a little early (timer jitter) still counts: sampling must not skip a beat.
	return len(list) == 0 || now.Sub(list[len(list)-1].At) >= every-every/10
}

func (h *history) of(name string) []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Sample, len(h.samples[name]))
	copy(out, h.samples[name])
	return out
}
