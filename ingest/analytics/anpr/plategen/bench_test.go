package plategen

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPlateCrops is one plate of the chars set: render, degrade, six
// normalised crops.
func BenchmarkPlateCrops(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		plateCrops(rand.New(rand.NewPCG(1, uint64(i))), 0.3, 0.25)
	}
}

// BenchmarkScene is one 640x360 frame with its vehicles.
func BenchmarkScene(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		RenderScene(RandomScene(rand.New(rand.NewPCG(2, uint64(i))), DefaultSceneOptions()))
	}
}
