package analytics

import (
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/decode"
)

// This file sorts before bench_test.go so that the memory is measured
// first, before other benchmarks leave freed heap for it to reuse.

// BenchmarkMemoryPerCamera reports the memory one analysed camera holds
// (decoder, background model, Mats), from the process's resident set over
// 40 cameras each fed the same GOP. It measures once, whatever b.N.
func BenchmarkMemoryPerCamera(b *testing.B) {
	aus := clipAUs(b, streetClip(b))
	cfg := Config{}
	cfg.defaults()
	const n = 40
	b.N = 1
	{
		before := residentBytes(b)
		type cam struct {
			dec *decode.Decoder
			an  *analyser
		}
		cams := make([]cam, n)
		for i := range cams {
			dec, err := decode.NewForAnalysis()
			if err != nil {
				b.Fatal(err)
			}
			cams[i] = cam{dec, newAnalyser("cam", cfg, defaultSettings(), func(op) {}, func(string, bool) {})}
			at := time.Now()
			for _, au := range aus[:20] {
				if f, _ := dec.Decode(au); f != nil {
					cams[i].an.analyse(f, at)
				}
				at = at.Add(200 * time.Millisecond)
			}
		}
		after := residentBytes(b)
		b.ReportMetric(float64(after-before)/n/(1<<20), "MiB/camera")
		for _, c := range cams {
			c.an.close(time.Now())
			c.dec.Close()
		}
	}
}
