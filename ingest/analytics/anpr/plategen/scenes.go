package plategen

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Scene frame size of the generated sets (the sub stream's).
const (
	SceneW = 640
	SceneH = 360
)

// WriteScenes writes n 640x360 road frames with one or two vehicles as
// sceneNNNNNN.jpg plus .txt ground truth in the openalpr benchmark layout
// (one tab-separated line per plate: file, x, y, w, h, text without
// spaces; the box bounds the plate's corners). The output depends only on
// n, seed and opt.
func WriteScenes(dir string, n int, seed int64, opt SceneOptions) error {
	if n <= 0 {
		return fmt.Errorf("plategen: scenes: n must be positive, got %d", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return parallel(n, maxWorkers, func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x7363656e65<<20|uint64(i)))
		sc := RandomScene(rng, opt)
		quality := sc.Cond.JPEGQuality
		sc.Cond.JPEGQuality = 0 // the file's own compression is the only one
		img, truths := RenderScene(sc)
		name := fmt.Sprintf("scene%06d", i+1)
		if err := writeJPEG(filepath.Join(dir, name+".jpg"), img, max(quality, 40)); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, name+".txt"))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		for _, t := range truths {
			w.WriteString(truthLine(name+".jpg", t.Box.Min.X, t.Box.Min.Y, t.Box.Dx(), t.Box.Dy(), t.Text))
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// RandomScene is a frame with one vehicle, or two (the far one first),
// every plate wholly in the picture and not hidden by the near vehicle.
func RandomScene(rng *rand.Rand, opt SceneOptions) Scene {
	near := randomVehicle(rng, 11+13*rng.Float64(), 0.45, 0.9)
	sc := Scene{Width: SceneW, Height: SceneH, BackgroundSeed: rng.Uint64(), Vehicles: []Vehicle{near}}
	if rng.Float64() < 0.35 {
		nb := near.Bounds()
		for try := 0; try < 20; try++ {
			far := randomVehicle(rng, 9+3*rng.Float64(), 0.3, 0.55)
			if !plateBox(far.quad()).Inset(-4).Overlaps(nb) {
				sc.Vehicles = []Vehicle{far, near}
				break
			}
		}
	}
	sc.Cond = RandomConditions(rng, opt.Night, opt.Blur, near.Pose.CharHeight)
	return sc
}

// randomVehicle places a vehicle whose plate centre is between y0 and y1
// (fractions of the height) and wholly inside the frame.
func randomVehicle(rng *rand.Rand, charH, y0, y1 float64) Vehicle {
	front := rng.IntN(2) == 0
	spec := RandomPlate(rng, nil)
	spec.Rear = !front
	v := Vehicle{Plate: spec, Front: front, Colour: paint(rng), Van: rng.Float64() < 0.2,
		PlateHeight: 400 + 250*rng.Float64()}
	for {
		v.Pose = Pose{CharHeight: charH, Yaw: (rng.Float64()*2 - 1) * 25, Pitch: 3 + 12*rng.Float64(),
			Roll: (rng.Float64() - rng.Float64()) * 5, Distance: 15 + 25*rng.Float64(),
			Centre: Pt{SceneW * (0.1 + 0.8*rng.Float64()), SceneH * (y0 + (y1-y0)*rng.Float64())}}
		if plateBox(v.quad()).In(image.Rect(2, 2, SceneW-2, SceneH-2)) {
			return v
		}
	}
}

// quad is the plate's corners in the picture.
func (v Vehicle) quad() [4]Pt {
	h := v.Pose.Homography()
	var q [4]Pt
	for i, p := range []Pt{{-PlateW / 2, -PlateH / 2}, {PlateW / 2, -PlateH / 2}, {PlateW / 2, PlateH / 2}, {-PlateW / 2, PlateH / 2}} {
		q[i] = h.Apply(p)
	}
	return q
}

func writeJPEG(path string, img image.Image, q int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: q}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
