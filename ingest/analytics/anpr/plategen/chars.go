package plategen

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

const (
	cropsPerPlate = 6
	rejectShare   = 0.08
	binaryShare   = 0.12
)

// WriteChars writes n normalised character crops and DIR/labels.csv
// (file,label; "_" = reject). Crops are cut from fully rendered and degraded
// plates at the characters' ink bounds with a segmenter's sloppiness. The
// characters are uniform over 0-9 A-Z (laid out in the groups of real
// formats), so rare letters such as I and Q are learnt as well as the rest.
// The output depends only on n and seed.
func WriteChars(dir string, n int, seed int64) error {
	return WriteCharsOptions(dir, n, seed, DefaultSceneOptions())
}

// WriteCharsOptions is WriteChars with the night and blur shares of opt.
func WriteCharsOptions(dir string, n int, seed int64, opt SceneOptions) error {
	return writeChars(dir, n, seed, opt.Night, opt.Blur, maxWorkers)
}

func writeChars(dir string, n int, seed int64, night, blur float64, workers int) error {
	if n <= 0 {
		return fmt.Errorf("plategen: chars: n must be positive, got %d", n)
	}
	if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
		return err
	}
	labels := make([]string, n)
	plates := (n + cropsPerPlate - 1) / cropsPerPlate
	err := parallel(plates, workers, func(j int) error {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x63686172<<32|uint64(j)))
		crops := plateCrops(rng, night, blur)
		for k, cr := range crops {
			i := j*cropsPerPlate + k
			if i >= n {
				break
			}
			name := fmt.Sprintf("img/%06d.png", i+1)
			if err := writePNG(filepath.Join(dir, name), cr.img); err != nil {
				return err
			}
			labels[i] = name + "," + cr.label
		}
		return nil
	})
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "file,label")
	for _, l := range labels {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type crop struct {
	img   *image.Gray
	label string
}

// randomText is uniform characters in the groups of a random format of at
// least five characters (short marks would repeat their crops).
func randomText(rng *rand.Rand) string {
	f := ukplate.Formats[rng.IntN(len(ukplate.Formats))]
	for f.Len() < 5 {
		f = ukplate.Formats[rng.IntN(len(ukplate.Formats))]
	}
	var b []byte
	for gi, g := range f.Groups {
		if gi > 0 {
			b = append(b, ' ')
		}
		for range g {
			b = append(b, charimg.Classes[rng.IntN(len(charimg.Classes))])
		}
	}
	return string(b)
}

// plateCrops renders one random degraded plate and cuts cropsPerPlate crops.
func plateCrops(rng *rand.Rand, night, blur float64) []crop {
	spec := randomLook(rng)
	spec.Text = randomText(rng)
	charH := 10 + 50*rng.Float64()
	pose := RandomPose(rng, charH)
	cond := RandomConditions(rng, night, blur, charH)
	shot := RenderShot(spec, pose, cond, paint(rng))
	grey := Gray(shot.Image)
	// some readers and data sets binarise the plate before cutting it up
	binary := rng.Float64() < binaryShare
	norm := func(r image.Rectangle) *image.Gray {
		if binary {
			return charimg.Normalize(binarise(grey, r), r)
		}
		return charimg.Normalize(grey, r)
	}
	order := rng.Perm(len(shot.Glyphs))
	out := make([]crop, 0, cropsPerPlate)
	for k := 0; k < cropsPerPlate; k++ {
		if rng.Float64() < rejectShare || len(order) == 0 {
			out = append(out, crop{norm(rejectBox(rng, shot, charH)), charimg.RejectLabel})
			continue
		}
		i := order[k%len(order)]
		out = append(out, crop{norm(charBox(rng, shot.Glyphs[i])), string(shot.Chars[i])})
	}
	return out
}

// binarise is the crop r of g thresholded half way between its 2nd and
// 98th percentiles (black ink, white sheet).
func binarise(g *image.Gray, r image.Rectangle) *image.Gray {
	r = r.Intersect(g.Bounds())
	out := image.NewGray(r)
	if r.Empty() {
		return out
	}
	var hist [256]int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			hist[g.Pix[g.PixOffset(x, y)]]++
		}
	}
	n := r.Dx() * r.Dy()
	lo, hi := -1, 0
	c := 0
	for v, k := range hist {
		c += k
		if lo < 0 && c > n/50 {
			lo = v
		}
		if c <= n-n/50 {
			hi = v
		}
	}
	t := uint8((lo + hi + 1) / 2)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := uint8(255)
			if g.Pix[g.PixOffset(x, y)] < t {
				v = 0
			}
			out.Pix[out.PixOffset(x, y)] = v
		}
	}
	return out
}

// charBox is a character's box as a segmenter finds it: edges off by up to
// 2 px, now and then a little over- or under-segmented.
func charBox(rng *rand.Rand, r image.Rectangle) image.Rectangle {
	r = jitter(rng, r, 2)
	if rng.Float64() < 0.12 {
		w, h := r.Dx(), r.Dy()
		switch rng.IntN(4) {
		case 0: // a sliver of the neighbour or background on one side
			d := int(math.Round(float64(w) * (0.1 + 0.15*rng.Float64())))
			if rng.IntN(2) == 0 {
				r.Min.X -= d
			} else {
				r.Max.X += d
			}
		case 1: // a side cut off
			d := int(math.Round(float64(w) * (0.05 + 0.1*rng.Float64())))
			if rng.IntN(2) == 0 {
				r.Min.X += d
			} else {
				r.Max.X -= d
			}
		case 2: // border or bolt merged above or below
			d := int(math.Round(float64(h) * (0.05 + 0.12*rng.Float64())))
			if rng.IntN(2) == 0 {
				r.Min.Y -= d
			} else {
				r.Max.Y += d
			}
		default: // top or bottom trimmed
			d := int(math.Round(float64(h) * (0.03 + 0.07*rng.Float64())))
			if rng.IntN(2) == 0 {
				r.Min.Y += d
			} else {
				r.Max.Y -= d
			}
		}
	}
	return r
}

// jitter moves each edge by up to d pixels, keeping the box at least 1 px.
func jitter(rng *rand.Rand, r image.Rectangle, d int) image.Rectangle {
	j := func() int { return rng.IntN(2*d+1) - d }
	out := image.Rect(r.Min.X+j(), r.Min.Y+j(), r.Max.X+j(), r.Max.Y+j())
	if out.Dx() < 1 || out.Dy() < 1 {
		return r
	}
	return out
}

// rejectBox is a box a segmenter might wrongly take for a character: a
// border or plate edge piece, a screw, dirt, half a character, two merged,
// a bit of the identifier band, blank plate.
func rejectBox(rng *rand.Rand, s Shot, charH float64) image.Rectangle {
	g := s.Glyphs
	cw := int(math.Max(3, charH*0.62))
	ch := int(math.Max(5, charH))
	for {
		switch rng.IntN(7) {
		case 0: // plate edge, with its border and the paint beyond
			q := s.Quad
			e := q[0]
			if rng.IntN(2) == 0 {
				e = q[1]
			}
			x := int(e.X) - cw/2 + rng.IntN(cw/2+1) - cw/4
			y := int((q[0].Y+q[3].Y)/2) - ch/2
			return jitter(rng, image.Rect(x, y, x+cw, y+ch), 2)
		case 1:
			if len(s.Bolts) > 0 {
				b := s.Bolts[rng.IntN(len(s.Bolts))]
				return jitter(rng, b.Inset(-rng.IntN(3)), 1)
			}
		case 2:
			if len(s.Dirt) > 0 {
				return jitter(rng, s.Dirt[rng.IntN(len(s.Dirt))], 1)
			}
		case 3: // a half character
			if len(g) > 0 {
				r := g[rng.IntN(len(g))]
				f := 0.3 + 0.25*rng.Float64()
				if rng.IntN(4) == 0 { // split across
					d := int(float64(r.Dy()) * f)
					if rng.IntN(2) == 0 {
						r.Max.Y = r.Min.Y + d
					} else {
						r.Min.Y = r.Max.Y - d
					}
				} else {
					d := int(float64(r.Dx()) * f)
					if rng.IntN(2) == 0 {
						r.Max.X = r.Min.X + d
					} else {
						r.Min.X = r.Max.X - d
					}
				}
				if r.Dx() >= 2 && r.Dy() >= 2 {
					return jitter(rng, r, 1)
				}
			}
		case 4: // two characters merged
			if len(g) > 1 {
				i := rng.IntN(len(g) - 1)
				return jitter(rng, g[i].Union(g[i+1]), 2)
			}
		case 5:
			if !s.Band.Empty() {
				r := s.Band
				if rng.IntN(2) == 0 {
					r.Min.Y += r.Dy() / 2
				}
				return jitter(rng, r, 2)
			}
		default: // blank plate between the characters or under them
			if len(g) > 1 {
				i := rng.IntN(len(g) - 1)
				x0, x1 := g[i].Max.X, g[i+1].Min.X
				if x1-x0 >= 2 {
					return jitter(rng, image.Rect(x0, g[i].Min.Y, x1, g[i].Max.Y), 1)
				}
			}
		}
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
