package plategen

import (
	"fmt"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// WritePlates writes n degraded plate close-ups (valid marks of every
// format in turn) as NAME.jpg with NAME.txt ground truth in the openalpr
// layout: box = bounds of the plate's corners.
func WritePlates(dir string, n int, seed int64, opt SceneOptions) error {
	if n <= 0 {
		return fmt.Errorf("plategen: plates: n must be positive, got %d", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return parallel(n, maxWorkers, func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x706c61746573<<16|uint64(i)))
		spec := RandomPlate(rng, nil)
		charH := 10 + 50*rng.Float64()
		cond := RandomConditions(rng, opt.Night, opt.Blur, charH)
		shot := RenderShot(spec, RandomPose(rng, charH), cond, paint(rng))
		name := fmt.Sprintf("plate%06d", i+1)
		f, err := os.Create(filepath.Join(dir, name+".jpg"))
		if err != nil {
			return err
		}
		if err := jpeg.Encode(f, shot.Image, &jpeg.Options{Quality: 92}); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		lo, hi := Shape{shot.Quad[:]}.Bounds()
		x, y := int(math.Floor(lo.X)), int(math.Floor(lo.Y))
		line := truthLine(name+".jpg", x, y, int(math.Ceil(hi.X))-x, int(math.Ceil(hi.Y))-y, spec.Text)
		return os.WriteFile(filepath.Join(dir, name+".txt"), []byte(line), 0o644)
	})
}

// truthLine is one openalpr benchmark ground-truth line.
func truthLine(file string, x, y, w, h int, text string) string {
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%s\n", file, x, y, w, h, strings.ReplaceAll(text, " ", ""))
}
